// `tcpsight stats` output built from a synthetic aggregator: the JSON shape scripts rely on
// (design.md §4) with the values that went in, and the text summary people read.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/stats_report.hpp"
#include "core/tcp_state.hpp"
#include "core_test_input.hpp"

namespace tcpsight {
namespace {

using test::listener_record;
using test::sock_record;
using test::time_wait_record;

// A namespace with a known mix of sockets and known kernel counters.
class StatsReport : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<ts_sock_record> records;
    uint16_t port = 30000;
    auto add = [&](int state, int n) {
      for (int i = 0; i < n; ++i) records.push_back(sock_record(state, {"127.0.0.1", 8080, "127.0.0.1", port++}));
    };
    add(TS_ESTABLISHED, 5);
    add(TS_SYN_SENT, 1);
    add(TS_NEW_SYN_RECV, 2);
    add(TS_FIN_WAIT1, 1);
    add(TS_FIN_WAIT2, 2);
    add(TS_CLOSE_WAIT, 4);
    for (int32_t ms : {50000, 10000, 30000})
      records.push_back(time_wait_record({"127.0.0.1", port++, "127.0.0.1", 8080}, ms));
    records.push_back(listener_record("127.0.0.1", 8080, 2, 1, 128));
    records.push_back(listener_record("::", 443, 0, 0, 4096));
    agg_.on_snapshot(SocketCensus::from_records(records));

    ts_counters before{};
    before.transitions[TS_ESTABLISHED][TS_FIN_WAIT1] = 7;
    agg_.on_counters(before, 100.0);

    ts_counters c{};
    c.transitions[TS_ESTABLISHED][TS_FIN_WAIT1] = 17;
    c.transitions[TS_CLOSE][TS_SYN_SENT] = 23;
    c.transitions[TS_FIN_WAIT2][TS_CLOSE] = 11;
    c.retransmits[TS_ESTABLISHED] = 6;
    c.retransmits[TS_SYN_SENT] = 1;
    c.synack_retransmits = 4;
    c.resets_sent = 9;
    c.resets_received = 13;
    c.time_wait_entered = 11;
    c.events_seen = 51;
    c.events_lost = 2;
    agg_.on_counters(c, 102.0);
  }

  Aggregator agg_;
};

TEST_F(StatsReport, JsonHasEveryFieldOfTheInterface) {
  const nlohmann::json j = stats_json(agg_, 1.7e9);
  for (const char* key : {"sockets", "transitions", "retransmits", "synack_retransmits", "resets_sent",
                          "resets_received", "listeners", "time_wait", "events"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_TRUE(j["sockets"].is_object());
  EXPECT_TRUE(j["transitions"].is_array());
  EXPECT_TRUE(j["listeners"].is_array());
  EXPECT_TRUE(j["time_wait"].is_object());
  EXPECT_TRUE(j["events"].is_object());
  // Scripts read one object per line.
  EXPECT_EQ(j.dump().find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(j.dump()), j);
}

TEST_F(StatsReport, JsonSocketsCountEveryReportedState) {
  const nlohmann::json s = stats_json(agg_, 0)["sockets"];
  const std::map<std::string, uint64_t> expected = {
      {"ESTABLISHED", 5}, {"SYN_SENT", 1},   {"SYN_RECV", 2}, {"FIN_WAIT1", 1}, {"FIN_WAIT2", 2},
      {"TIME_WAIT", 3},   {"CLOSE_WAIT", 4}, {"LAST_ACK", 0}, {"LISTEN", 2},    {"CLOSING", 0},
  };
  for (const auto& [name, count] : expected) {
    ASSERT_TRUE(s.contains(name)) << name << " must be present even at zero";
    EXPECT_TRUE(s[name].is_number_unsigned()) << name;
    EXPECT_EQ(s[name].get<uint64_t>(), count) << name;
  }
  EXPECT_FALSE(s.contains("NEW_SYN_RECV")) << "request sockets are already in SYN_RECV";
}

TEST_F(StatsReport, JsonTransitionsAreTheNonZeroCountersSinceStart) {
  const nlohmann::json t = stats_json(agg_, 0)["transitions"];
  std::map<std::tuple<std::string, std::string>, uint64_t> got;
  for (const auto& item : t) {
    ASSERT_TRUE(item.contains("from") && item.contains("to") && item.contains("count")) << item.dump();
    EXPECT_TRUE(item["count"].is_number_unsigned());
    got[{item["from"].get<std::string>(), item["to"].get<std::string>()}] = item["count"].get<uint64_t>();
  }
  const std::map<std::tuple<std::string, std::string>, uint64_t> expected = {
      {{"ESTABLISHED", "FIN_WAIT1"}, 17}, {{"CLOSE", "SYN_SENT"}, 23}, {{"FIN_WAIT2", "CLOSE"}, 11}};
  EXPECT_EQ(got, expected);
  EXPECT_EQ(t.size(), 3u) << "each pair once";
}

TEST_F(StatsReport, JsonCountersSinceStart) {
  const nlohmann::json j = stats_json(agg_, 0);
  EXPECT_EQ(j["retransmits"].get<uint64_t>(), 7u) << "summed over the states they happened in";
  EXPECT_EQ(j["synack_retransmits"].get<uint64_t>(), 4u);
  EXPECT_EQ(j["resets_sent"].get<uint64_t>(), 9u);
  EXPECT_EQ(j["resets_received"].get<uint64_t>(), 13u);
  EXPECT_EQ(j["events"]["received"].get<uint64_t>(), 51u);
  EXPECT_EQ(j["events"]["lost"].get<uint64_t>(), 2u);
}

TEST_F(StatsReport, JsonListenersWithTheirQueues) {
  const nlohmann::json l = stats_json(agg_, 0)["listeners"];
  ASSERT_EQ(l.size(), 2u);
  std::map<std::string, nlohmann::json> by_local;
  for (const auto& item : l) {
    for (const char* key : {"local", "syn_queue", "accept_queue", "max_backlog"})
      EXPECT_TRUE(item.contains(key)) << key << " in " << item.dump();
    by_local[item["local"].get<std::string>()] = item;
  }
  ASSERT_TRUE(by_local.count("127.0.0.1:8080"));
  ASSERT_TRUE(by_local.count("[::]:443"));
  EXPECT_EQ(by_local["127.0.0.1:8080"]["syn_queue"].get<uint64_t>(), 2u);
  EXPECT_EQ(by_local["127.0.0.1:8080"]["accept_queue"].get<uint64_t>(), 1u);
  EXPECT_EQ(by_local["127.0.0.1:8080"]["max_backlog"].get<uint64_t>(), 128u);
  EXPECT_EQ(by_local["[::]:443"]["max_backlog"].get<uint64_t>(), 4096u);
}

TEST_F(StatsReport, JsonTimeWait) {
  const nlohmann::json tw = stats_json(agg_, 0)["time_wait"];
  EXPECT_EQ(tw["count"].get<uint64_t>(), 3u);
  EXPECT_EQ(tw["entered"].get<uint64_t>(), 11u);
  const nlohmann::json r = tw["remaining_seconds"];
  ASSERT_TRUE(r.is_object());
  EXPECT_TRUE(r["min"].is_number());
  EXPECT_DOUBLE_EQ(r["min"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(r["p50"].get<double>(), 30.0);
  EXPECT_DOUBLE_EQ(r["max"].get<double>(), 50.0);
}

TEST(StatsReportEmpty, JsonBeforeAnySnapshotStillHasEveryState) {
  Aggregator agg;
  agg.on_counters(ts_counters{}, 1.0);
  const nlohmann::json j = stats_json(agg, 0);
  for (int s : kReportedStates) EXPECT_EQ(j["sockets"][std::string(state_name(s))], 0) << state_name(s);
  EXPECT_TRUE(j["transitions"].empty());
  EXPECT_TRUE(j["listeners"].empty());
  EXPECT_EQ(j["time_wait"]["remaining_seconds"]["max"], 0.0);
  EXPECT_EQ(j["events"]["lost"], 0);
}

std::string line_containing(const std::string& text, const std::string& word) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(word) != std::string::npos) return line;
  return {};
}

TEST_F(StatsReport, APacedSnapshotSaysHowOldItIs) {
  EXPECT_DOUBLE_EQ(stats_json(agg_, 1.7e9)["snapshot_age_seconds"].get<double>(), 0);
  EXPECT_EQ(stats_text(agg_, 1.7e9).find("old"), std::string::npos) << "a fresh snapshot needs no remark";

  agg_.on_snapshot_age(12.5);
  EXPECT_DOUBLE_EQ(stats_json(agg_, 1.7e9)["snapshot_age_seconds"].get<double>(), 12.5);
  const std::string header = line_containing(stats_text(agg_, 1.7e9), "---");
  EXPECT_NE(header.find("snapshot 12.5 s old"), std::string::npos) << header;
}

TEST_F(StatsReport, TextMentionsTheKeyNumbers) {
  const std::string text = stats_text(agg_, 1.7e9);
  SCOPED_TRACE(text);
  const std::string sockets = line_containing(text, "ESTABLISHED 5");
  EXPECT_NE(sockets, "");
  for (const char* part : {"SYN_RECV 2", "TIME_WAIT 3", "CLOSE_WAIT 4", "LISTEN 2", "LAST_ACK 0"})
    EXPECT_NE(sockets.find(part), std::string::npos) << part;
  EXPECT_NE(text.find("ESTABLISHED->FIN_WAIT1 17"), std::string::npos);
  EXPECT_NE(text.find("CLOSE->SYN_SENT 23"), std::string::npos);
  EXPECT_NE(text.find("(5.0/s)"), std::string::npos) << "ESTABLISHED->FIN_WAIT1: (17-7)/2 s";

  const std::string retrans = line_containing(text, "retransmits");
  EXPECT_NE(retrans.find("retransmits 7"), std::string::npos);
  EXPECT_NE(retrans.find("synack_retransmits 4"), std::string::npos);
  EXPECT_NE(retrans.find("9"), std::string::npos) << "resets sent";
  EXPECT_NE(retrans.find("13"), std::string::npos) << "resets received";

  const std::string tw = line_containing(text, "time_wait");
  EXPECT_NE(tw.find("3 now"), std::string::npos);
  EXPECT_NE(tw.find("11 entered"), std::string::npos);
  EXPECT_NE(tw.find("30.0 s"), std::string::npos) << "median remaining";

  const std::string listen = line_containing(text, "127.0.0.1:8080");
  EXPECT_NE(listen.find("syn queue 2"), std::string::npos) << listen;
  EXPECT_NE(listen.find("1/128"), std::string::npos) << "accept queue out of backlog: " << listen;
  EXPECT_NE(line_containing(text, "[::]:443"), "");

  const std::string events = line_containing(text, "events");
  EXPECT_NE(events.find("51 received"), std::string::npos);
  EXPECT_NE(events.find("2 lost"), std::string::npos);
}

}  // namespace
}  // namespace tcpsight
