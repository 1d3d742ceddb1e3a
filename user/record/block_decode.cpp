#include "record/block_decode.hpp"

#include <charconv>
#include <cstring>
#include <string_view>

#include "record/block_builder.hpp"

namespace tcpsight::recording {

namespace {

template <class T>
bool read_prefix(std::span<const uint8_t> payload, T& out) {
  if (payload.size() < sizeof out) return false;
  std::memcpy(&out, payload.data(), sizeof out);
  return true;
}

std::optional<int64_t> to_int(std::string_view s) {
  int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<CountersReading> decode_counters(std::span<const uint8_t> payload) {
  CountersPrefix p;
  if (!read_prefix(payload, p) || payload.size() - sizeof p != p.size) return std::nullopt;
  CountersReading r;
  r.missed = p.missed;
  std::memcpy(&r.counters, payload.data() + sizeof p, std::min<size_t>(p.size, sizeof r.counters));
  return r;
}

template <class Record>
std::optional<ArrayPrefix> decode_array(std::span<const uint8_t> payload, std::vector<Record>& out, bool shuffled) {
  ArrayPrefix p;
  if (!read_prefix(payload, p) || p.size == 0) return std::nullopt;
  const uint64_t data = static_cast<uint64_t>(p.size) * p.count;
  if (payload.size() - sizeof p != data) return std::nullopt;
  const uint8_t* in = payload.data() + sizeof p;
  out.assign(p.count, Record{});
  if (p.count == 0) return p;
  std::vector<uint8_t> plain;
  if (shuffled) {
    plain.resize(data);
    unshuffle_bytes(in, plain.data(), p.count, p.size);
    in = plain.data();
  }
  const size_t common = std::min<size_t>(p.size, sizeof(Record));
  if (p.size == sizeof(Record))
    std::memcpy(out.data(), in, data);
  else
    for (size_t i = 0; i < p.count; ++i) std::memcpy(&out[i], in + i * p.size, common);
  return p;
}

template std::optional<ArrayPrefix> decode_array(std::span<const uint8_t>, std::vector<ts_event>&, bool);
template std::optional<ArrayPrefix> decode_array(std::span<const uint8_t>, std::vector<ts_sock_record>&, bool);
template std::optional<ArrayPrefix> decode_array(std::span<const uint8_t>, std::vector<ts_owner_record>&, bool);
template std::optional<ArrayPrefix> decode_array(std::span<const uint8_t>, std::vector<NetnsCountersRecord>&, bool);

std::optional<LossPayload> decode_loss(std::span<const uint8_t> payload) {
  LossPayload l;
  if (!read_prefix(payload, l)) return std::nullopt;
  return l;
}

std::string encode_kernel_counters(const KernelCounters& counters, const std::optional<PortRange>& range) {
  std::string out;
  for (const auto& [key, value] : counters) {
    out += key;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
  }
  if (range)
    out += "sysctl.ip_local_port_range " + std::to_string(range->low) + " " + std::to_string(range->high) + "\n";
  return out;
}

std::optional<KernelReading> decode_kernel_counters(std::span<const uint8_t> payload) {
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  KernelReading r;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) return std::nullopt;  // every line ends with one
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    const size_t sp = line.find(' ');
    if (sp == 0 || sp == std::string_view::npos) return std::nullopt;
    const std::string_view key = line.substr(0, sp), rest = line.substr(sp + 1);
    if (key == "sysctl.ip_local_port_range") {
      const size_t sp2 = rest.find(' ');
      if (sp2 == std::string_view::npos) return std::nullopt;
      const auto lo = to_int(rest.substr(0, sp2)), hi = to_int(rest.substr(sp2 + 1));
      if (!lo || !hi || *lo < 0 || *hi > 65535 || *lo > *hi) return std::nullopt;
      r.port_range = PortRange{static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi)};
      continue;
    }
    const auto v = to_int(rest);
    if (!v) return std::nullopt;
    r.counters[std::string(key)] = *v;
  }
  return r;
}

std::string encode_namespaces(const std::vector<NamespaceSighting>& sightings, const NamespaceWatchCounts& watch) {
  nlohmann::json list = nlohmann::json::array();
  for (const NamespaceSighting& s : sightings) {
    nlohmann::json j = {{"netns", s.id.inode}, {"name", s.id.name}, {"kind", s.id.kind},
                        {"container_id", s.id.container_id}, {"host", s.id.host}, {"snapshot_age_s", s.snapshot_age_s}};
    if (s.kernel) j["kernel"] = *s.kernel;  // absent: it could not be entered this time
    if (s.limits) {
      if (s.limits->port_range) j["port_range"] = {s.limits->port_range->low, s.limits->port_range->high};
      if (s.limits->max_time_wait) j["max_time_wait"] = *s.limits->max_time_wait;
    }
    list.push_back(std::move(j));
  }
  const nlohmann::json out = {
      {"watch", {{"seen", watch.seen}, {"entered", watch.entered}, {"failed", watch.failed}, {"unreadable", watch.unreadable}}},
      {"namespaces", std::move(list)}};
  // Names come from containers and units: invalid UTF-8 becomes U+FFFD rather than an exception.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<NamespacesReading> decode_namespaces(std::span<const uint8_t> payload) {
  const auto j = decode_json(payload);
  if (!j || !j->contains("namespaces") || !(*j)["namespaces"].is_array()) return std::nullopt;
  try {
    NamespacesReading r;
    if (j->contains("watch")) {
      const nlohmann::json& w = (*j)["watch"];
      r.watch = {.seen = w.value("seen", uint64_t{0}), .entered = w.value("entered", uint64_t{0}),
                 .failed = w.value("failed", uint64_t{0}), .unreadable = w.value("unreadable", uint64_t{0})};
    }
    for (const nlohmann::json& n : (*j)["namespaces"]) {
      if (!n.is_object() || !n.contains("netns") || !n["netns"].is_number_unsigned()) return std::nullopt;
      NamespaceSighting s;
      s.id = {.inode = n["netns"].get<uint32_t>(), .name = n.value("name", ""), .kind = n.value("kind", ""),
              .container_id = n.value("container_id", ""), .host = n.value("host", false)};
      s.snapshot_age_s = n.value("snapshot_age_s", 0.0);
      if (n.contains("kernel")) s.kernel = n["kernel"].get<KernelCounters>();
      if (n.contains("port_range") || n.contains("max_time_wait")) {
        SystemLimits limits;
        if (n.contains("port_range")) {
          const auto range = n["port_range"].get<std::vector<uint16_t>>();
          if (range.size() != 2 || range[0] > range[1]) return std::nullopt;
          limits.port_range = PortRange{range[0], range[1]};
        }
        if (n.contains("max_time_wait")) limits.max_time_wait = n["max_time_wait"].get<uint64_t>();
        s.limits = limits;
      }
      r.sightings.push_back(std::move(s));
    }
    return r;
  } catch (const nlohmann::json::exception&) {  // a value of the wrong type
    return std::nullopt;
  }
}

std::optional<nlohmann::json> decode_json(std::span<const uint8_t> payload) {
  nlohmann::json j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

const char* block_type_name(BlockType type) {
  switch (type) {
    case BlockType::header: return "header";
    case BlockType::counters: return "counters";
    case BlockType::snapshot: return "snapshot";
    case BlockType::events: return "events";
    case BlockType::loss: return "loss";
    case BlockType::kernel_counters: return "kernel counters";
    case BlockType::owners: return "owners";
    case BlockType::end: return "end";
    case BlockType::netns_snapshot: return "namespace snapshot";
    case BlockType::namespaces: return "namespaces";
    case BlockType::netns_counters: return "namespace counters";
  }
  return "unknown";
}

}  // namespace tcpsight::recording
