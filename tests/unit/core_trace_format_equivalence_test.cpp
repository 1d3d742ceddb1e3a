// trace's buffered line formats (append_trace_line, append_trace_json) against the formats they
// replaced (trace_format_reference.cpp), byte for byte, over many generated events: every kind and
// state, both families and none, every flag, owners unknown, named and shared, and hostile process
// and namespace names (quotes, backslashes, control characters, invalid UTF-8, 16 bytes with no
// terminator). Every JSON line must also stay valid JSON whose comm decodes to the name's visible form.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "core/display_name.hpp"
#include "core/event_format.hpp"
#include "core/trace_fields.hpp"
#include "trace_format_reference.hpp"

namespace tcpsight {
namespace {

const std::vector<std::string> kReasons = {"NOT_SPECIFIED", "NO_SOCKET", "", "TCP_ABORT_ON_DATA"};

class EventGenerator {
 public:
  explicit EventGenerator(uint32_t seed) : rng_(seed) {}

  ts_event event() {
    ts_event e{};
    e.kind = static_cast<uint8_t>(pick(0, 6));  // 0 and 6: kinds no kernel sends
    e.family = std::array<uint8_t, 4>{AF_INET, AF_INET6, AF_INET6, 0}[pick(0, 3)];
    fill_address(e.family, e.saddr);
    fill_address(e.family, e.daddr);
    e.sport = static_cast<uint16_t>(pick(0, 3) ? pick(1, 65535) : 0);
    e.dport = static_cast<uint16_t>(pick(0, 65535));
    e.old_state = static_cast<uint8_t>(pick(0, 15));
    e.new_state = static_cast<uint8_t>(pick(0, 15));
    e.flags = static_cast<uint8_t>(pick(0, 63));
    e.reason = static_cast<uint8_t>(pick(0, 5));
    e.segs = static_cast<uint16_t>(pick(0, 4));
    e.ts_ns = pick64() >> pick(0, 40);
    e.prev_state_ns = pick64() >> pick(0, 63);
    e.lifetime_ns = pick64() >> pick(0, 63);
    e.cookie = pick64();
    e.netns = static_cast<uint32_t>(pick64());
    e.tgid = static_cast<uint32_t>(pick(0, 4'000'000));
    const std::string name = comm();
    std::memcpy(e.comm, name.data(), std::min(name.size(), sizeof e.comm));
    return e;
  }

  Owner owner(const ts_event& e) {
    switch (pick(0, 2)) {
      case 0: return Owner{};
      case 1: return named_by_event(e);
      default: {
        Owner o;
        o.source = OwnerSource::scan;
        o.tgid = static_cast<uint32_t>(pick(1, 4'000'000));
        o.comm = comm();
        for (int i = pick(0, 4); i > 0; --i) o.holders.push_back(static_cast<uint32_t>(pick(1, 99999)));
        std::sort(o.holders.begin(), o.holders.end());
        if (!o.holders.empty() && pick(0, 1)) o.holders.front() = o.tgid;
        return o;
      }
    }
  }

  // Up to 16 bytes: ordinary names, or any bytes but NUL (comm is cut at its terminator).
  std::string comm() {
    static const std::vector<std::string> ordinary = {"curl", "nginx", "postgres: wal", "python3", "a\"b\\c", ""};
    if (pick(0, 1)) return ordinary[pick(0, static_cast<int>(ordinary.size()) - 1)];
    std::string s(static_cast<size_t>(pick(1, 16)), ' ');
    for (char& c : s) c = static_cast<char>(pick(1, 255));
    return s;
  }

  std::vector<TraceField> fields() {
    std::vector<TraceField> all(all_trace_fields().begin(), all_trace_fields().end());
    std::shuffle(all.begin(), all.end(), rng_);
    all.resize(static_cast<size_t>(pick(1, static_cast<int>(all.size()))));
    return all;
  }

  Clock clock() { return {1.7e9 + static_cast<double>(pick(0, 999'999)) / 1e3 + static_cast<double>(pick(0, 9)) / 7}; }

  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  uint64_t pick64() { return std::uniform_int_distribution<uint64_t>()(rng_); }

 private:
  void fill_address(uint8_t family, uint8_t out[16]) {
    for (int i = 0; i < 16; ++i) out[i] = static_cast<uint8_t>(pick(0, 255));
    if (family == AF_INET) std::memset(out + 4, 0, 12);
    if (family != AF_INET6) return;
    switch (pick(0, 3)) {
      case 0:  // IPv4-mapped
        std::memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        break;
      case 1:  // runs of zero words, for inet_ntop's "::" (IPv4-compatible ones among them)
        for (int w = 0; w < 8; ++w)
          if (pick(0, 1)) out[2 * w] = out[2 * w + 1] = 0;
        break;
      default: break;
    }
  }

  std::mt19937_64 rng_;
};

constexpr int kEvents = 20000;

TEST(TraceFormatEquivalence, FullLinesAreByteForByteTheFormerOnes) {
  EventGenerator gen(12);
  fmt::memory_buffer out;  // reused, as trace reuses it
  for (int i = 0; i < kEvents; ++i) {
    const ts_event e = gen.event();
    const Owner owner = gen.owner(e);
    const Clock clock = gen.clock();
    const std::string name = gen.comm() + (gen.pick(0, 1) ? "-a-namespace-name-longer-than-twenty" : "");
    const std::string* netns_name = gen.pick(0, 1) ? &name : nullptr;

    out.clear();
    append_trace_line(out, e, owner, clock, kReasons, netns_name);
    ASSERT_EQ(fmt::to_string(out), reference::format_trace_line(e, owner, clock, kReasons, netns_name)) << i;
    out.clear();
    append_trace_json(out, e, owner, clock, kReasons, netns_name);
    const std::string json = fmt::to_string(out);
    ASSERT_EQ(json, reference::trace_json(e, owner, clock, kReasons, netns_name)) << i;
    ASSERT_EQ(json, trace_json(e, owner, clock, kReasons, netns_name)) << i;

    const auto parsed = nlohmann::json::parse(json);  // throws on invalid JSON
    if (owner.known()) {
      ASSERT_EQ(parsed.at("comm").get<std::string>(), visible_text(owner.comm)) << json;
    }
  }
}

TEST(TraceFormatEquivalence, ChosenFieldsAreByteForByteTheFormerOnes) {
  EventGenerator gen(34);
  fmt::memory_buffer out;
  for (int i = 0; i < kEvents; ++i) {
    const ts_event e = gen.event();
    const Owner owner = gen.owner(e);
    const Clock clock = gen.clock();
    const std::vector<TraceField> fields = gen.fields();
    const std::string name = gen.comm();
    const std::string* netns_name = gen.pick(0, 1) ? &name : nullptr;

    out.clear();
    append_trace_line(out, fields, e, owner, clock, kReasons, netns_name);
    ASSERT_EQ(fmt::to_string(out), reference::format_trace_line(fields, e, owner, clock, kReasons, netns_name)) << i;
    out.clear();
    append_trace_json(out, fields, e, owner, clock, kReasons, netns_name);
    const std::string json = fmt::to_string(out);
    ASSERT_EQ(json, reference::trace_json(fields, e, owner, clock, kReasons, netns_name)) << i;
    EXPECT_NO_THROW((void)nlohmann::json::parse(json)) << json;
  }
}

// A buffer reused across lines holds each line alone once cleared, however long the one before.
TEST(TraceFormatEquivalence, AppendsAfterWhatTheBufferHolds) {
  EventGenerator gen(56);
  const ts_event e = gen.event();
  const Owner owner = gen.owner(e);
  const Clock clock = gen.clock();
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "prefix:");
  append_trace_json(out, e, owner, clock);
  EXPECT_EQ(fmt::to_string(out), "prefix:" + trace_json(e, owner, clock));
}

}  // namespace
}  // namespace tcpsight
