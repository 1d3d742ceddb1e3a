// top -r's seeks (cli/top_replay.cpp) over a real recording (tests/data/recording-v1.tsr: 30
// loopback connections, Tcp.ActiveOpens 30 while it was made): wherever a seek lands, the model
// has the readings a watching top would have had, so rates show at once.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/top_replay.hpp"

namespace tcpsight {
namespace {

const std::string kData = TCPSIGHT_DATA_DIR;

uint64_t connects(const TopFrame& f) {
  for (const TransitionRow& row : f.transitions)
    if (row.from == TS_CLOSE && row.to == TS_SYN_SENT) return row.total;
  return 0;
}

// Seconds from the recording's start to its last block, read straight through.
double file_length_s() {
  recording::Replay replay(kData + "/recording-v1.tsr");
  replay.advance_to(UINT64_MAX, [](const ts_event&, uint64_t) {});
  return static_cast<double>(replay.now_ns() - replay.info().start_ns) / 1e9;
}

uint64_t expected_connects() {
  std::ifstream in(kData + "/recording-v1.expected.json");
  return nlohmann::json::parse(in).at("Tcp.ActiveOpens").get<uint64_t>();
}

TEST(TopReplaySeek, PastTheEndStopsAtTheEndWithRatesAndEveryConnect) {
  ReplayTopReadings replay(kData + "/recording-v1.tsr", 0.5);
  replay.seek(1e6);
  EXPECT_TRUE(replay.at_end());
  EXPECT_DOUBLE_EQ(replay.position_s(), file_length_s()) << "the position is the file's end, not the target";
  ASSERT_GT(replay.position_s(), 1.0) << "long enough for three readings half a second apart";
  const TopFrame& f = replay.frames().list;
  EXPECT_TRUE(f.has_rates) << "three readings before the end, not one";
  EXPECT_EQ(connects(f), expected_connects());
  const std::string status = replay.status(1, false);
  EXPECT_NE(status.find("END"), std::string::npos) << status;
}

TEST(TopReplaySeek, BackToTheStartThenForwardToTheEndCountsTheSameAsOnePass) {
  ReplayTopReadings replay(kData + "/recording-v1.tsr", 0.5);
  replay.seek(1e6);
  const double end = replay.position_s();
  replay.seek(0);
  EXPECT_FALSE(replay.at_end());
  EXPECT_EQ(replay.position_s(), 0);
  EXPECT_LE(connects(replay.frames().list), expected_connects());
  // Forward in steps, as the `]` key and playback do: the model ends where one seek put it.
  for (double at = 0.5; at < end + 1; at += 0.5) replay.play(0.5), replay.refresh(std::nullopt, false);
  EXPECT_TRUE(replay.at_end());
  EXPECT_DOUBLE_EQ(replay.position_s(), end);
  EXPECT_EQ(connects(replay.frames().list), expected_connects());
  EXPECT_TRUE(replay.frames().list.has_rates);
}

}  // namespace
}  // namespace tcpsight
