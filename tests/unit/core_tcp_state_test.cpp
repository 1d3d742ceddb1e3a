// State names as users type them (kernel names and ss's spellings) and as tcpsight prints them.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/tcp_state.hpp"

namespace tcpsight {
namespace {

TEST(TcpState, KernelNamesParse) {
  EXPECT_EQ(parse_state("ESTABLISHED"), TS_ESTABLISHED);
  EXPECT_EQ(parse_state("SYN_SENT"), TS_SYN_SENT);
  EXPECT_EQ(parse_state("SYN_RECV"), TS_SYN_RECV);
  EXPECT_EQ(parse_state("FIN_WAIT1"), TS_FIN_WAIT1);
  EXPECT_EQ(parse_state("FIN_WAIT2"), TS_FIN_WAIT2);
  EXPECT_EQ(parse_state("TIME_WAIT"), TS_TIME_WAIT);
  EXPECT_EQ(parse_state("CLOSE"), TS_CLOSE);
  EXPECT_EQ(parse_state("CLOSE_WAIT"), TS_CLOSE_WAIT);
  EXPECT_EQ(parse_state("LAST_ACK"), TS_LAST_ACK);
  EXPECT_EQ(parse_state("LISTEN"), TS_LISTEN);
  EXPECT_EQ(parse_state("CLOSING"), TS_CLOSING);
  EXPECT_EQ(parse_state("NEW_SYN_RECV"), TS_NEW_SYN_RECV);
}

TEST(TcpState, SsSpellingsParse) {
  // The identifiers of `ss state ...` (man ss, STATE-FILTER).
  EXPECT_EQ(parse_state("established"), TS_ESTABLISHED);
  EXPECT_EQ(parse_state("syn-sent"), TS_SYN_SENT);
  EXPECT_EQ(parse_state("syn-recv"), TS_SYN_RECV);
  EXPECT_EQ(parse_state("fin-wait-1"), TS_FIN_WAIT1);
  EXPECT_EQ(parse_state("fin-wait-2"), TS_FIN_WAIT2);
  EXPECT_EQ(parse_state("time-wait"), TS_TIME_WAIT);
  EXPECT_EQ(parse_state("closed"), TS_CLOSE);
  EXPECT_EQ(parse_state("close-wait"), TS_CLOSE_WAIT);
  EXPECT_EQ(parse_state("last-ack"), TS_LAST_ACK);
  EXPECT_EQ(parse_state("listening"), TS_LISTEN);
  EXPECT_EQ(parse_state("closing"), TS_CLOSING);
  // And the column ss -tan prints.
  EXPECT_EQ(parse_state("ESTAB"), TS_ESTABLISHED);
  EXPECT_EQ(parse_state("SYN-RECV"), TS_SYN_RECV);
  EXPECT_EQ(parse_state("TIME-WAIT"), TS_TIME_WAIT);
  EXPECT_EQ(parse_state("FIN-WAIT-1"), TS_FIN_WAIT1);
}

TEST(TcpState, ParsingIgnoresCase) {
  EXPECT_EQ(parse_state("Time_Wait"), TS_TIME_WAIT);
  EXPECT_EQ(parse_state("listen"), TS_LISTEN);
  EXPECT_EQ(parse_state("Syn-Recv"), TS_SYN_RECV);
  EXPECT_EQ(parse_state("syn_received"), TS_SYN_RECV);
}

TEST(TcpState, UnknownNamesAreRejected) {
  for (const char* bad : {"", "UNKNOWN", "TIMEWAIT", "time wait", "established ", "FIN_WAIT3", "12", "SYN",
                          "bucket", "all"})
    EXPECT_EQ(parse_state(bad), std::nullopt) << '"' << bad << '"';
}

TEST(TcpState, NamesRoundTripForEveryKernelState) {
  std::set<std::string> seen;
  for (int s = TS_ESTABLISHED; s <= TS_NEW_SYN_RECV; ++s) {
    const std::string name(state_name(s));
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    EXPECT_EQ(parse_state(name), s) << name;
  }
  EXPECT_EQ(state_name(TS_TIME_WAIT), "TIME_WAIT");
  EXPECT_EQ(state_name(TS_FIN_WAIT1), "FIN_WAIT1");
}

TEST(TcpState, OutOfRangeStatesAreUnknown) {
  EXPECT_EQ(state_name(0), "UNKNOWN");
  EXPECT_EQ(state_name(13), "UNKNOWN");
  EXPECT_EQ(state_name(-1), "UNKNOWN");
  EXPECT_EQ(state_name(255), "UNKNOWN");
}

TEST(TcpState, ReportedStatesAreTheTenOfTheInterface) {
  std::set<std::string> names;
  for (int s : kReportedStates) names.insert(std::string(state_name(s)));
  EXPECT_EQ(names, (std::set<std::string>{"ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
                                          "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"}));
  EXPECT_EQ(reported_state(TS_NEW_SYN_RECV), TS_SYN_RECV);
  EXPECT_EQ(reported_state(TS_ESTABLISHED), TS_ESTABLISHED);
}

}  // namespace
}  // namespace tcpsight
