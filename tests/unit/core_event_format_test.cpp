// One trace event as a script reads it (--json) and as a person reads it (a line).
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event_format.hpp"
#include "core_test_input.hpp"

namespace tcpsight {
namespace {

using test::Ends;
using test::flow_event;
using test::state_change;

const Ends kClientV4{"127.0.0.1", 40000, "127.0.0.1", 8080};
const Ends kClientV6{"::1", 40001, "::1", 80};
const Clock kClock{1'700'000'000.0};  // wall = monotonic + this

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

TEST(TraceJson, StateEventWithKnownOwnerAndTiming) {
  const ts_event e = state_change(kClientV4, TS_SYN_SENT, TS_ESTABLISHED)
                         .at_ns(2'500'000'000)
                         .owner(4242, "curl")
                         .timing(1'500'000)
                         .cookie(77)
                         .netns(4026531840u);
  const nlohmann::json j = nlohmann::json::parse(trace_json(e, kClock));
  EXPECT_EQ(j["kind"], "state");
  EXPECT_EQ(j["pid"], 4242);
  EXPECT_EQ(j["comm"], "curl");
  EXPECT_EQ(j["local"], "127.0.0.1:40000");
  EXPECT_EQ(j["remote"], "127.0.0.1:8080");
  EXPECT_EQ(j["old"], "SYN_SENT");
  EXPECT_EQ(j["new"], "ESTABLISHED");
  EXPECT_DOUBLE_EQ(j["prev_state_ms"].get<double>(), 1.5);
  EXPECT_EQ(j["time_wait"], false);
  EXPECT_EQ(j["reset"], false);
  EXPECT_DOUBLE_EQ(j["time"].get<double>(), 1'700'000'002.5);
  EXPECT_EQ(j["cookie"], 77);
  EXPECT_EQ(j["netns"], 4026531840u);
  EXPECT_EQ(j["family"], "ipv4");
  EXPECT_FALSE(j.contains("lifetime_ms")) << "only a close has a lifetime";
  EXPECT_EQ(trace_json(e, kClock).find('\n'), std::string::npos);
}

TEST(TraceJson, UnknownOwnerAndTimingAreNullNotZero) {
  const nlohmann::json j = nlohmann::json::parse(trace_json(state_change(kClientV4, TS_ESTABLISHED, TS_CLOSE_WAIT).at_ns(1), kClock));
  ASSERT_TRUE(j.contains("pid"));
  EXPECT_TRUE(j["pid"].is_null());
  EXPECT_TRUE(j["comm"].is_null());
  ASSERT_TRUE(j.contains("prev_state_ms"));
  EXPECT_TRUE(j["prev_state_ms"].is_null());
}

TEST(TraceJson, ActiveCloseIntoTimeWaitOverIPv6) {
  const ts_event e = state_change(kClientV6, TS_FIN_WAIT2, TS_CLOSE)
                         .timing(3'000'000, 250'000'000)
                         .flags(TS_F_TIME_WAIT);
  const nlohmann::json j = nlohmann::json::parse(trace_json(e, kClock));
  EXPECT_EQ(j["local"], "[::1]:40001");
  EXPECT_EQ(j["remote"], "[::1]:80");
  EXPECT_EQ(j["family"], "ipv6");
  EXPECT_EQ(j["old"], "FIN_WAIT2");
  EXPECT_EQ(j["new"], "CLOSE");
  EXPECT_EQ(j["time_wait"], true);
  EXPECT_DOUBLE_EQ(j["prev_state_ms"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(j["lifetime_ms"].get<double>(), 250.0);
}

TEST(TraceJson, ResetCloseIsFlaggedAndIsNoTimeWait) {
  const nlohmann::json j =
      nlohmann::json::parse(trace_json(state_change(kClientV4, TS_ESTABLISHED, TS_CLOSE).flags(TS_F_RESET), kClock));
  EXPECT_EQ(j["reset"], true);
  EXPECT_EQ(j["time_wait"], false);
  EXPECT_TRUE(j["lifetime_ms"].is_null()) << "close of a socket opened before tracing: lifetime unknown";
}

TEST(TraceJson, RetransmitsAndResetsHaveTheirOwnKinds) {
  const nlohmann::json r = nlohmann::json::parse(trace_json(flow_event(TS_EV_RETRANSMIT, kClientV4, TS_SYN_SENT), kClock));
  EXPECT_EQ(r["kind"], "retransmit");
  EXPECT_EQ(r["state"], "SYN_SENT");
  EXPECT_FALSE(r.contains("old"));
  EXPECT_EQ(nlohmann::json::parse(trace_json(flow_event(TS_EV_SYNACK_RETRANSMIT, kClientV4.reversed(), TS_NEW_SYN_RECV), kClock))["kind"],
            "synack_retransmit");
  EXPECT_EQ(nlohmann::json::parse(trace_json(flow_event(TS_EV_RESET_SENT, kClientV4, TS_ESTABLISHED), kClock))["kind"], "reset_sent");
  EXPECT_EQ(nlohmann::json::parse(trace_json(flow_event(TS_EV_RESET_RECEIVED, kClientV4, TS_ESTABLISHED), kClock))["kind"],
            "reset_received");
}

TEST(TraceLine, ShowsOwnerEndpointsTransitionAndTime) {
  const ts_event e = state_change(kClientV4, TS_SYN_SENT, TS_ESTABLISHED).owner(4242, "curl").timing(1'500'000);
  const auto w = words(format_trace_line(e, kClock));
  ASSERT_EQ(w.size(), 7u) << format_trace_line(e, kClock);
  EXPECT_EQ(w[1], "4242");
  EXPECT_EQ(w[2], "curl");
  EXPECT_EQ(w[3], "127.0.0.1:40000");
  EXPECT_EQ(w[4], "127.0.0.1:8080");
  EXPECT_EQ(w[5], "SYN_SENT->ESTABLISHED");
  EXPECT_EQ(w[6], "1.500");
  // The header names the same columns.
  const auto h = words(trace_header());
  EXPECT_EQ(h, (std::vector<std::string>{"TIME", "PID", "COMM", "LOCAL", "REMOTE", "EVENT", "MS"}));
}

TEST(TraceLine, UnknownOwnerAndTimingAreMarkedNotInvented) {
  const ts_event e = state_change(kClientV6, TS_FIN_WAIT2, TS_CLOSE).flags(TS_F_TIME_WAIT);
  const std::string line = format_trace_line(e, kClock);
  const auto w = words(line);
  ASSERT_GE(w.size(), 8u) << line;
  EXPECT_EQ(w[1], "-");
  EXPECT_EQ(w[2], "?");
  EXPECT_EQ(w[3], "[::1]:40001");
  EXPECT_EQ(w[4], "[::1]:80");
  EXPECT_EQ(w[5], "FIN_WAIT2->CLOSE");
  EXPECT_EQ(w[6], "-");
  EXPECT_EQ(w[7], "time-wait");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(TraceLine, AttributedOwnerWithTheOtherHolders) {
  Owner o;
  o.source = OwnerSource::scan;
  o.tgid = 100;
  o.comm = "nginx";
  o.holders = {100, 101, 102};
  const ts_event e = state_change(kClientV4, TS_LISTEN, TS_CLOSE);
  const auto w = words(format_trace_line(e, o, kClock));
  ASSERT_GE(w.size(), 3u);
  EXPECT_EQ(w[1], "100+2");
  EXPECT_EQ(w[2], "nginx");
  const nlohmann::json j = nlohmann::json::parse(trace_json(e, o, kClock));
  EXPECT_EQ(j["pid"], 100);
  EXPECT_EQ(j["comm"], "nginx");
  EXPECT_EQ(j["holders"], 3);
  // The owner attributed wins over what the event's own fields say.
  const nlohmann::json unknown = nlohmann::json::parse(trace_json(state_change(kClientV4, TS_CLOSE, TS_SYN_SENT).owner(9, "x"), Owner{}, kClock));
  EXPECT_TRUE(unknown["pid"].is_null());
  EXPECT_TRUE(unknown["comm"].is_null());
  EXPECT_TRUE(unknown["holders"].is_null());
}

TEST(TraceLine, RetransmitNamesItsState) {
  const std::string line = format_trace_line(flow_event(TS_EV_RETRANSMIT, kClientV4, TS_ESTABLISHED), kClock);
  EXPECT_NE(line.find("retransmit in ESTABLISHED"), std::string::npos) << line;
  const std::string reset =
      format_trace_line(flow_event(TS_EV_RESET_RECEIVED, kClientV4, TS_ESTABLISHED).flags(TS_F_RESET), kClock);
  EXPECT_NE(reset.find("reset_received"), std::string::npos) << reset;
  EXPECT_EQ(words(reset).back(), "reset");
}

TEST(TraceLine, CommIsCutAtItsTerminatorOrSixteenBytes) {
  ts_event e = state_change(kClientV4, TS_CLOSE, TS_SYN_SENT).owner(1, "x");
  std::memset(e.comm, 'a', sizeof e.comm);  // the kernel fills all 16 bytes without a terminator
  EXPECT_EQ(nlohmann::json::parse(trace_json(e, kClock))["comm"], std::string(16, 'a'));
}

}  // namespace
}  // namespace tcpsight

namespace tcpsight {
namespace {
TEST(TraceJson, OddProcessNamesStayValidJson) {
  ts_event e = test::state_change(kClientV4, TS_CLOSE, TS_SYN_SENT).owner(7, "a\"b\\c");
  e.comm[5] = '\n';
  e.comm[6] = static_cast<char>(0xe9);
  const nlohmann::json j = nlohmann::json::parse(trace_json(e, kClock));
  EXPECT_EQ(j["comm"], R"(a"b\c\x0a\xe9)");  // the name as trace's text shows it
}
}  // namespace
}  // namespace tcpsight
