// What the kernel hands over, as bytes: a socket iterator pass (ts_sock_record), the event ring
// buffer (ts_event), a details pass with the owner scan after it (ts_sock_detail, ts_owner_record),
// the summed counters (ts_counters). The bytes go through the decoding the kernel layer uses
// (kernel/record_decode.hpp) and then through what consumes the records: the census, the
// aggregator, trace's lines, the drill-down rows and serve's exposition. No crash, and trace's JSON
// always parses.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/aggregator.hpp"
#include "core/ephemeral_ports.hpp"
#include "core/event_filter.hpp"
#include "core/event_format.hpp"
#include "core/owner_index.hpp"
#include "core/socket_census.hpp"
#include "core/socket_rows.hpp"
#include "kernel/record_decode.hpp"
#include "serve/metrics_render.hpp"
#include "serve/scrape_input.hpp"

namespace {

using namespace tcpsight;

constexpr PortRange kPortRange{32768, 60999};

void sockets(const char* bytes, size_t size) {
  std::vector<ts_sock_record> records;
  decode_records(bytes, size, records);
  (void)SocketCensus::from_records(records, 3);
  (void)ephemeral_ports_by_destination(records, kPortRange);
  const ScrapeInput input = assemble_scrape(ts_counters{}, records, {}, {kPortRange, 262144}, SeriesCaps{4, 4});
  (void)render_metrics(input, ExpositionFormat::prometheus_text);
  (void)render_metrics(input, ExpositionFormat::openmetrics);
}

// Each record is one ring buffer sample; the first byte of each says how long it is (a sample may
// be shorter or longer than a ts_event).
void events(const char* bytes, size_t size) {
  static const std::vector<std::string> kResetReasons = {"NOT_SPECIFIED", "NO_SOCKET"};
  Aggregator aggregator(8);
  EventFilter filter;
  filter.ports = {80, 443};
  filter.states = {TS_TIME_WAIT, TS_SYN_RECV};
  const Clock clock{};
  while (size > 0) {
    const size_t want = sizeof(ts_event) - 8 + static_cast<uint8_t>(bytes[0]) % 16;
    const size_t sample = std::min(want, size - 1);
    const auto e = decode_event(bytes + 1, sample);
    bytes += 1 + sample, size -= 1 + sample;
    if (!e) continue;
    aggregator.on_event(*e);
    (void)filter.matches(*e);
    (void)format_trace_line(*e, named_by_event(*e), clock, kResetReasons);
    const std::string json = trace_json(*e, named_by_event(*e), clock, kResetReasons);
    if (!nlohmann::json::accept(json)) std::abort();
  }
  (void)aggregator.troubled_flows(4);
}

// A details pass, then the owner scan: the first 4 bytes say how many bytes the pass takes.
void details(const char* bytes, size_t size) {
  if (size < 4) return;
  const size_t split = std::min<size_t>(size - 4, (static_cast<uint8_t>(bytes[0]) | static_cast<uint8_t>(bytes[1]) << 8));
  bytes += 4, size -= 4;
  std::vector<ts_sock_detail> detail_records;
  std::vector<ts_owner_record> owner_records;
  decode_records(bytes, split, detail_records);
  decode_records(bytes + split, size - split, owner_records);
  const OwnerIndex owners(owner_records, 1.0);
  const auto rows = socket_rows(detail_records, owners, 2'000'000'000);
  (void)process_rows(rows, owners);
  (void)listener_details(rows);
}

void counters(const char* bytes, size_t size) {
  std::vector<ts_counters> records;
  decode_records(bytes, size, records);
  if (records.empty()) return;
  const ScrapeInput input = assemble_scrape(records[0], {}, {}, {kPortRange, 262144}, SeriesCaps{});
  (void)render_metrics(input, ExpositionFormat::prometheus_text);
  Aggregator aggregator;
  for (size_t i = 0; i < records.size(); ++i) aggregator.on_counters(records[i], static_cast<double>(i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* bytes = reinterpret_cast<const char*>(data) + 1;
  switch (data[0] % 4) {
    case 0: sockets(bytes, size - 1); break;
    case 1: events(bytes, size - 1); break;
    case 2: details(bytes, size - 1); break;
    case 3: counters(bytes, size - 1); break;
  }
  return 0;
}
