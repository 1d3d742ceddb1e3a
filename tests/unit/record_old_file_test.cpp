// A recording made by an earlier tcpsight (tests/data/recording-v1.tsr, format 1, made by
// tests/data/make_recording.sh) still replays, and what it replays equals what the kernel counted
// while it was made (recording-v1.expected.json, from /proc/net/snmp and ss at the time).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "record/replay.hpp"

namespace tcpsight::recording {
namespace {

const std::string kData = TCPSIGHT_DATA_DIR;

TEST(RecordOldFile, AFormat1RecordingReplaysTheKernelsOwnCounts) {
  std::ifstream in(kData + "/recording-v1.expected.json");
  ASSERT_TRUE(in) << kData;
  const nlohmann::json kernel = nlohmann::json::parse(in);
  Replay replay(kData + "/recording-v1.tsr");
  EXPECT_EQ(replay.info().header.at("format"), 1);
  uint64_t events = 0;
  EXPECT_FALSE(replay.advance_to(UINT64_MAX, [&](const ts_event&, uint64_t) { ++events; }));
  EXPECT_TRUE(replay.reader().damage().empty());
  EXPECT_EQ(damage_summary(replay.reader()), "");
  const ReplayState& s = replay.state();
  ASSERT_TRUE(s.has_counters && s.has_snapshot);
  const ts_counters& c = s.counters.counters;
  EXPECT_EQ(c.transitions[TS_CLOSE][TS_SYN_SENT], kernel.at("Tcp.ActiveOpens").get<uint64_t>());
  EXPECT_EQ(c.transitions[TS_LISTEN][TS_SYN_RECV], kernel.at("Tcp.PassiveOpens").get<uint64_t>());
  // EstabResets: both ends of each connection closed by a reset leave ESTABLISHED for CLOSE.
  EXPECT_EQ(c.transitions[TS_ESTABLISHED][TS_CLOSE], kernel.at("Tcp.EstabResets").get<uint64_t>());
  size_t time_wait = 0;
  for (const ts_sock_record& r : s.sockets) time_wait += r.state == TS_TIME_WAIT;
  EXPECT_EQ(time_wait, kernel.at("ss_time_wait_at_end").get<size_t>());
  EXPECT_EQ(events, c.events_seen) << "every event the kernel counted is in the file (none was lost)";
  EXPECT_EQ(c.events_lost, 0u);
}

}  // namespace
}  // namespace tcpsight::recording
