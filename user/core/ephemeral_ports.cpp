#include "core/ephemeral_ports.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace tcpsight {

namespace {

std::optional<uint16_t> next_port(std::string_view& text) {
  const size_t start = text.find_first_not_of(" \t\n");
  if (start == std::string_view::npos) return std::nullopt;
  text.remove_prefix(start);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || value > 65535) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  return static_cast<uint16_t>(value);
}

// A destination (remote address and port) as a hash key.
struct Destination {
  IpAddress addr;
  uint16_t port;
  bool operator==(const Destination&) const = default;
};

struct DestinationHash {
  size_t operator()(const Destination& d) const {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the address, then the port and family
    for (uint8_t b : d.addr.bytes) h = (h ^ b) * 1099511628211ull;
    h = (h ^ d.port) * 1099511628211ull;
    return static_cast<size_t>((h ^ d.addr.family) * 1099511628211ull);
  }
};

}  // namespace

std::optional<PortRange> parse_port_range(std::string_view text) {
  const auto low = next_port(text);
  const auto high = low ? next_port(text) : std::nullopt;
  if (!low || !high || *low > *high || text.find_first_not_of(" \t\n") != std::string_view::npos) return std::nullopt;
  return PortRange{*low, *high};
}

std::vector<DestinationPorts> ephemeral_ports_by_destination(std::span<const ts_sock_record> records,
                                                             PortRange range) {
  std::unordered_set<uint16_t> listening;
  for (const ts_sock_record& r : records)
    if (r.state == TS_LISTEN) listening.insert(r.sport);

  // Each destination gets an index; a use is (index, local port) packed in 64 bits, so that the
  // distinct local ports per destination come from one sort of integers (a snapshot of 100k sockets
  // sorted as address tuples cost more than the snapshot itself).
  std::unordered_map<Destination, uint32_t, DestinationHash> index;
  std::vector<DestinationPorts> out;
  std::vector<uint64_t> uses;
  uses.reserve(records.size());
  for (const ts_sock_record& r : records) {
    if (r.state == TS_LISTEN || r.state == TS_NEW_SYN_RECV || r.dport == 0) continue;
    if (!range.contains(r.sport) || listening.count(r.sport)) continue;
    const Destination d{IpAddress::from_raw(r.family, r.daddr), r.dport};
    const auto [it, fresh] = index.try_emplace(d, static_cast<uint32_t>(out.size()));
    if (fresh) out.push_back(DestinationPorts{d.addr, d.port});
    if (r.state == TS_TIME_WAIT) ++out[it->second].time_wait;
    uses.push_back(uint64_t{it->second} << 16 | r.sport);
  }
  std::sort(uses.begin(), uses.end());
  for (size_t i = 0; i < uses.size(); ++i)
    if (i == 0 || uses[i] != uses[i - 1]) ++out[uses[i] >> 16].ports_in_use;  // one port, several local addresses
  for (DestinationPorts& d : out) d.share = range.size() ? static_cast<double>(d.ports_in_use) / range.size() : 0;
  std::sort(out.begin(), out.end(), [](const DestinationPorts& a, const DestinationPorts& b) {
    if (a.ports_in_use != b.ports_in_use) return a.ports_in_use > b.ports_in_use;
    if (a.time_wait != b.time_wait) return a.time_wait > b.time_wait;
    return std::tie(a.addr, a.port) < std::tie(b.addr, b.port);
  });
  return out;
}

}  // namespace tcpsight
