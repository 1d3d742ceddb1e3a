#include "core/ephemeral_ports.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>
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

struct Use {
  IpAddress addr;
  uint16_t dport;
  uint16_t sport;
  bool time_wait;
  auto key() const { return std::tie(addr, dport, sport); }
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

  std::vector<Use> uses;
  for (const ts_sock_record& r : records) {
    if (r.state == TS_LISTEN || r.state == TS_NEW_SYN_RECV || r.dport == 0) continue;
    if (!range.contains(r.sport) || listening.count(r.sport)) continue;
    uses.push_back({IpAddress::from_raw(r.family, r.daddr), r.dport, r.sport, r.state == TS_TIME_WAIT});
  }
  std::sort(uses.begin(), uses.end(), [](const Use& a, const Use& b) { return a.key() < b.key(); });

  std::vector<DestinationPorts> out;
  for (size_t i = 0; i < uses.size();) {
    DestinationPorts d{uses[i].addr, uses[i].dport};
    size_t j = i;
    for (; j < uses.size() && uses[j].addr == d.addr && uses[j].dport == d.port; ++j) {
      if (j == i || uses[j].sport != uses[j - 1].sport) ++d.ports_in_use;  // one port, several local addresses
      if (uses[j].time_wait) ++d.time_wait;
    }
    d.share = range.size() ? static_cast<double>(d.ports_in_use) / range.size() : 0;
    out.push_back(d);
    i = j;
  }
  std::sort(out.begin(), out.end(), [](const DestinationPorts& a, const DestinationPorts& b) {
    if (a.ports_in_use != b.ports_in_use) return a.ports_in_use > b.ports_in_use;
    if (a.time_wait != b.time_wait) return a.time_wait > b.time_wait;
    return std::tie(a.addr, a.port) < std::tie(b.addr, b.port);
  });
  return out;
}

}  // namespace tcpsight
