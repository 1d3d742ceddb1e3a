// The drill-down, the processes view, the transitions panel and the search of `tcpsight top`, on
// synthetic kernel records: what rows they make, and that every row is exactly the terminal width.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/socket_rows.hpp"
#include "core/tcp_state.hpp"
#include "top/drill_query.hpp"
#include "top/layout.hpp"
#include "top/search_filter.hpp"
#include "top/top_model.hpp"
#include "top_test_records.hpp"

namespace tcpsight {
namespace {

using namespace top_test;

ts_sock_detail detail(int state, const std::string& local, uint16_t lport, const std::string& remote, uint16_t rport,
                      uint64_t cookie) {
  const ts_sock_record r = record(state, local, lport, remote, rport);
  ts_sock_detail d{};
  std::memcpy(d.saddr, r.saddr, sizeof d.saddr);
  std::memcpy(d.daddr, r.daddr, sizeof d.daddr);
  d.family = r.family;
  d.sport = lport;
  d.dport = rport;
  d.state = static_cast<uint8_t>(state);
  d.cookie = cookie;
  d.full = state != TS_TIME_WAIT && state != TS_NEW_SYN_RECV;
  return d;
}

ts_owner_record holder(uint64_t cookie, uint32_t tgid, const char* comm) {
  ts_owner_record o{};
  o.cookie = cookie;
  o.tgid = tgid;
  o.tid = tgid;
  std::strncpy(o.comm, comm, sizeof o.comm);
  return o;
}

// A web server (pid 100) leaking CLOSE_WAIT, sharing its listener with a pre-forked child (101),
// a client (200) with one connection, a TIME_WAIT socket nobody holds.
struct Host {
  std::vector<ts_sock_detail> details;
  std::vector<ts_owner_record> owners;
  Host() {
    details.push_back(detail(TS_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0, 1));
    owners.push_back(holder(1, 100, "web"));
    owners.push_back(holder(1, 101, "web"));
    for (uint16_t i = 0; i < 3; ++i) {
      ts_sock_detail d = detail(TS_CLOSE_WAIT, "10.0.0.1", 80, "10.0.0.2", 40000 + i, 10 + i);
      d.state_since_ns = 5'000'000'000ull;  // 5 s into the monotonic clock
      d.recv_q = 17;
      details.push_back(d);
      owners.push_back(holder(10 + i, 100, "web"));
    }
    ts_sock_detail e = detail(TS_ESTABLISHED, "10.0.0.1", 50000, "10.0.0.9", 443, 20);
    e.srtt_us = 1234;
    e.snd_cwnd = 10;
    e.total_retrans = 2;
    details.push_back(e);
    owners.push_back(holder(20, 200, "curl"));
    details.push_back(detail(TS_TIME_WAIT, "10.0.0.1", 50001, "10.0.0.9", 443, 30));
  }
};

TEST(SocketRows, NameHoldersAndTimeInState) {
  const Host h;
  const OwnerIndex owners(h.owners, 0);
  const std::vector<SocketRow> rows = socket_rows(h.details, owners, 12'000'000'000ull);
  ASSERT_EQ(rows.size(), h.details.size());
  EXPECT_EQ(rows[0].tgid, 100u);
  EXPECT_EQ(rows[0].other_holders, 1u);
  EXPECT_EQ(rows[0].holders, (std::vector<uint32_t>{100, 101}));
  ASSERT_TRUE(rows[1].in_state_s);
  EXPECT_DOUBLE_EQ(*rows[1].in_state_s, 7.0);
  EXPECT_FALSE(rows[4].in_state_s);  // entered ESTABLISHED before tcpsight watched: unknown, not 0
  EXPECT_EQ(rows[5].tgid, 0u);       // TIME_WAIT: no process holds it
}

TEST(SocketRows, ProcessesCountEverySocketTheyHoldAsSsLists) {
  const Host h;
  const OwnerIndex owners(h.owners, 0);
  const std::vector<ProcessRow> p = process_rows(socket_rows(h.details, owners, 0), owners);
  ASSERT_EQ(p.size(), 4u);  // web 100, web 101, curl 200, then the sockets no process holds
  EXPECT_EQ(p[0].tgid, 100u);
  EXPECT_EQ(p[0].sockets, 4u);
  EXPECT_EQ(p[0].by_state[TS_CLOSE_WAIT], 3u);
  EXPECT_EQ(p[0].listening_ports, (std::vector<uint16_t>{80}));
  EXPECT_EQ(p[3].tgid, 0u);
  EXPECT_EQ(p[3].by_state[TS_TIME_WAIT], 1u);
  uint64_t listed = 0;
  for (const ProcessRow& r : p) listed += r.sockets;
  EXPECT_EQ(listed, h.details.size() + 1);  // the shared listener under each of its two holders
}

TEST(DrillQuery, KeysRoundTripAndMatchTheirSockets) {
  const Host h;
  const OwnerIndex owners(h.owners, 0);
  const std::vector<SocketRow> rows = socket_rows(h.details, owners, 0);
  const auto count = [&](const DrillQuery& q) {
    const auto parsed = DrillQuery::parse(q.key());
    EXPECT_TRUE(parsed) << q.key();
    size_t n = 0;
    for (const SocketRow& r : rows) n += parsed && parsed->matches(r);
    return n;
  };
  EXPECT_EQ(count(DrillQuery::of_state(TS_CLOSE_WAIT)), 3u);
  EXPECT_EQ(count(DrillQuery::of_listener(addr("0.0.0.0"), 80)), 4u);  // the listener and its connections
  EXPECT_EQ(count(DrillQuery::of_process(101)), 1u);
  EXPECT_EQ(count(DrillQuery::of_process(0)), 1u);
  EXPECT_EQ(count(DrillQuery::of_flow(addr("10.0.0.1"), 50000, addr("10.0.0.9"), 443)), 1u);
  EXPECT_EQ(count(DrillQuery::of_transition(TS_ESTABLISHED, TS_CLOSE_WAIT, false)), 3u);
  EXPECT_TRUE(DrillQuery::of_transition(TS_SYN_SENT, TS_CLOSE, false).closed());
  for (const char* bad : {"", "state", "state:x", "listen:2/00:80", "tr:1:2", "proc:-1", "flow:1:2:3:4"})
    EXPECT_FALSE(DrillQuery::parse(bad)) << bad;
}

TEST(SearchFilter, PortPidStateAddressOrName) {
  const Host h;
  const OwnerIndex owners(h.owners, 0);
  const std::vector<SocketRow> rows = socket_rows(h.details, owners, 0);
  const auto count = [&](const char* text) {
    const SearchFilter f(text);
    size_t n = 0;
    for (const SocketRow& r : rows) n += f.matches(r);
    return n;
  };
  EXPECT_EQ(count(""), rows.size());
  EXPECT_EQ(count("443"), 2u);
  EXPECT_EQ(count("101"), 1u);  // the pid of the child sharing the listener
  EXPECT_EQ(count("close-wait"), 3u);
  EXPECT_EQ(count("10.0.0.9"), 2u);
  EXPECT_EQ(count("CUR"), 1u);  // process names, any case
  EXPECT_EQ(count("nothing-like-it"), 0u);
  EXPECT_TRUE(SearchFilter("listen").matches_endpoint(addr("0.0.0.0"), 80));
  EXPECT_FALSE(SearchFilter("close-wait").matches_endpoint(addr("0.0.0.0"), 80));
  EXPECT_TRUE(SearchFilter("80").matches_endpoint(addr("0.0.0.0"), 80));
  EXPECT_FALSE(SearchFilter("81").matches_endpoint(addr("0.0.0.0"), 80));
}

TopFrame frame_with_details(const Host& h, double now_s) {
  TopModel model({"vm", "6.18", "host"}, 0);
  const OwnerIndex owners(h.owners, 0);
  ts_counters c{};
  model.refresh({c, {}, {}, std::nullopt, now_s - 1, 0});
  c.transitions[TS_ESTABLISHED][TS_FIN_WAIT1] = 1000;  // busy and normal
  c.transitions[TS_SYN_SENT][TS_CLOSE] = 1;           // one refused connect, long ago
  c.transitions[TS_FIN_WAIT2][TS_CLOSE] = 50;
  c.closed_after_reset[TS_FIN_WAIT2] = 4;             // aborted after a half-close
  TopReading r{c, {}, {}, std::nullopt, now_s, 0};
  r.details_taken = true;
  r.details = h.details;
  r.details_ns = static_cast<uint64_t>(now_s * 1e9);
  r.detail_owners = &owners;
  model.refresh(r);
  return model.frame();
}

TEST(TopModel, AbnormalTransitionsComeFirstWhateverTheirRate) {
  const TopFrame f = frame_with_details(Host{}, 10);
  ASSERT_EQ(f.transitions.size(), 4u);
  EXPECT_TRUE(f.transitions[0].abnormal);
  EXPECT_TRUE(f.transitions[1].abnormal);
  EXPECT_FALSE(f.transitions[2].abnormal);
  bool refused = false, after_reset = false;
  for (const TransitionRow& t : f.transitions) {
    refused = refused || (t.from == TS_SYN_SENT && t.to == TS_CLOSE && t.abnormal && t.total == 1);
    after_reset = after_reset || (t.from == TS_FIN_WAIT2 && t.after_reset && t.total == 4 && t.per_s == 4);
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(after_reset);
}

TEST(TopModel, ClosedFlowsAgeOutAndFlowsHaveIntervalRates) {
  TopModel model({}, 0);
  model.on_event(event(TS_EV_RETRANSMIT, "10.0.0.1", 40000, "10.0.0.2", 80, TS_ESTABLISHED, 1'000'000'000));
  model.refresh({ts_counters{}, {}, {}, std::nullopt, 2, 0});
  model.on_event(event(TS_EV_RETRANSMIT, "10.0.0.1", 40000, "10.0.0.2", 80, TS_ESTABLISHED, 3'000'000'000));
  model.on_event(event(TS_EV_RETRANSMIT, "10.0.0.1", 40000, "10.0.0.2", 80, TS_ESTABLISHED, 3'500'000'000));
  model.refresh({ts_counters{}, {}, {}, std::nullopt, 4, 0});
  ASSERT_EQ(model.frame().flows.size(), 1u);
  EXPECT_EQ(model.frame().flows[0].retransmits, 3u);
  EXPECT_DOUBLE_EQ(model.frame().flows[0].retransmits_per_s, 1.0);  // 2 in 2 s
  model.on_event(event(TS_EV_STATE, "10.0.0.1", 40000, "10.0.0.2", 80, TS_CLOSE, 5'000'000'000));
  model.refresh({ts_counters{}, {}, {}, std::nullopt, 30, 0});
  EXPECT_EQ(model.frame().flows.size(), 1u);  // closed 25 s ago: still there to read
  model.refresh({ts_counters{}, {}, {}, std::nullopt, 5 + TopModel::kClosedFlowLingerSeconds + 1, 0});
  EXPECT_TRUE(model.frame().flows.empty());
}

TEST(TopModel, AFlowLeavesOnceItsSocketIsGoneFromTheSnapshotAndStaysWhileItIsThere) {
  TopModel model({}, 0);
  // Two troubled connections; top streams no state events, so no event says either closed.
  model.on_event(event(TS_EV_RETRANSMIT, "10.0.0.1", 40000, "10.0.0.2", 80, TS_ESTABLISHED, 1'000'000'000));
  model.on_event(event(TS_EV_RESET_SENT, "10.0.0.1", 40001, "10.0.0.2", 80, TS_ESTABLISHED, 1'000'000'000));
  const std::vector<ts_sock_record> still_open = {record(TS_ESTABLISHED, "10.0.0.1", 40000, "10.0.0.2", 80)};
  model.refresh({ts_counters{}, still_open, {}, std::nullopt, 30, 0});
  EXPECT_EQ(model.frame().flows.size(), 2u);  // quiet for 29 s: both stay
  model.refresh({ts_counters{}, still_open, {}, std::nullopt, 1 + TopModel::kClosedFlowLingerSeconds + 1, 0});
  ASSERT_EQ(model.frame().flows.size(), 1u);  // the reset one's socket is gone
  EXPECT_EQ(model.frame().flows[0].local_port, 40000);
}

void expect_exact_size(const Screen& s, TermSize size) {
  ASSERT_EQ(static_cast<int>(s.rows.size()), size.rows);
  for (size_t r = 0; r < s.rows.size(); ++r) EXPECT_EQ(static_cast<int>(s.rows[r].width()), size.cols) << "row " << r;
}

TEST(TopLayout, DrillDownAndProcessesFillEveryCellAtEverySize) {
  const TopFrame f = frame_with_details(Host{}, 10);
  for (const TermSize size : {TermSize{72, 18}, TermSize{80, 24}, TermSize{120, 40}, TermSize{200, 60}})
    for (const Glyphs* g : {&Glyphs::ascii(), &Glyphs::utf8()}) {
      SCOPED_TRACE(testing::Message() << size.cols << "x" << size.rows);
      ViewState v;
      expect_exact_size(layout_screen(f, v, size, {g}), size);
      v.page = Page::Sockets;
      v.drill = DrillQuery::of_listener(addr("0.0.0.0"), 80).key();
      const Screen sockets = layout_screen(f, v, size, {g});
      expect_exact_size(sockets, size);
      EXPECT_NE(sockets.text().find("> "), std::string::npos) << sockets.text();  // a row is highlighted
      v.page = Page::Processes;
      expect_exact_size(layout_screen(f, v, size, {g}), size);
    }
}

TEST(TopLayout, DrillDownListsTheSocketsWithHolderAndTimeInState) {
  const TopFrame f = frame_with_details(Host{}, 10);
  ViewState v;
  v.page = Page::Sockets;
  v.drill = DrillQuery::of_state(TS_CLOSE_WAIT).key();
  const std::string text = layout_screen(f, v, {160, 40}, {&Glyphs::ascii()}).text();
  EXPECT_NE(text.find("3 sockets"), std::string::npos) << text;
  EXPECT_NE(text.find("100/web"), std::string::npos) << text;
  EXPECT_NE(text.find("5s"), std::string::npos) << text;  // in CLOSE_WAIT since 5 s, read at 10 s
  EXPECT_EQ(text.find("curl"), std::string::npos) << text;
  v.drill = DrillQuery::of_transition(TS_SYN_SENT, TS_CLOSE, false).key();
  const std::string closed = layout_screen(f, v, {160, 40}, {&Glyphs::ascii()}).text();
  EXPECT_NE(closed.find("tcpsight trace --state SYN_SENT"), std::string::npos) << closed;
}

TEST(TopLayout, AProcessNameOfTerminalEscapesIsShownAsVisibleText) {
  Host h;
  std::strncpy(h.owners.back().comm, "\x1b[2J\x1b]0;x\x07", sizeof h.owners.back().comm);  // curl's socket
  const TopFrame f = frame_with_details(h, 10);
  ViewState v;
  v.page = Page::Sockets;
  v.drill = DrillQuery::of_state(TS_ESTABLISHED).key();
  const Screen sockets = layout_screen(f, v, {160, 40}, {&Glyphs::utf8()});
  v.page = Page::Processes;
  const Screen processes = layout_screen(f, v, {160, 40}, {&Glyphs::utf8()});
  for (const Screen* s : {&sockets, &processes}) {
    expect_exact_size(*s, {160, 40});
    const std::string text = s->text();
    EXPECT_NE(text.find(R"(\x1b[2J)"), std::string::npos) << text;  // the processes view may cut the rest
    for (const char c : text) ASSERT_FALSE((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) << text;
  }
}

TEST(TopLayout, OverviewOffersEveryStateTransitionAndListenerToSelect) {
  const TopFrame f = frame_with_details(Host{}, 10);
  ViewState v;
  const Screen s = layout_screen(f, v, {120, 40}, {&Glyphs::ascii()});
  EXPECT_TRUE(s.selected.empty());  // nothing highlighted before an arrow is pressed
  size_t states = 0, transitions = 0;
  for (const Selectable& sel : s.selectables) {
    states += sel.key.rfind("state:", 0) == 0;
    transitions += sel.key.rfind("tr:", 0) == 0;
  }
  EXPECT_EQ(states, kReportedStates.size());
  EXPECT_EQ(transitions, f.transitions.size());
  v.selected[0] = DrillQuery::of_state(TS_CLOSE_WAIT).key();
  const Screen chosen = layout_screen(f, v, {120, 40}, {&Glyphs::ascii()});
  EXPECT_NE(chosen.rows.back().text().find("Enter: sockets in CLOSE_WAIT"), std::string::npos)
      << chosen.rows.back().text();
}

}  // namespace
}  // namespace tcpsight
