#include <gtest/gtest.h>

#include <iostream>
#include <regex>
#include <vector>

#include "top/layout.hpp"
#include "top/top_model.hpp"
#include "top_test_records.hpp"

namespace tcpsight {
namespace {

using namespace top_test;

// A busy host: 5000 TIME_WAIT toward one server, a flooded listener, a few troubled flows.
TopFrame busy_frame(uint64_t lost = 0) {
  std::vector<ts_sock_record> sockets;
  sockets.push_back(listener("10.200.1.1", 8080, 500, 3, 128));
  sockets.push_back(listener("0.0.0.0", 22, 0, 0, 4096));
  for (uint16_t i = 0; i < 500; ++i)
    sockets.push_back(record(TS_NEW_SYN_RECV, "10.200.1.1", 8080, "10.200.1.2", 33000 + i));
  for (uint16_t i = 0; i < 5000; ++i)
    sockets.push_back(time_wait("10.200.1.2", static_cast<uint16_t>(40000 + i), "10.200.1.1", 80, 1000 + i * 11));
  for (uint16_t i = 0; i < 40; ++i) sockets.push_back(record(TS_ESTABLISHED, "10.200.1.1", 22, "10.9.9.9", 50000 + i));

  TopModel model({"vm", "6.18.44-fc-v769", "ts-top-1234-0"}, 0);
  ts_counters c{};
  model.refresh({c, sockets, {{"TcpExt.ListenOverflows", 0}}, PortRange{32768, 60999}, 1, 1000});
  c.transitions[TS_FIN_WAIT2][TS_CLOSE] = 5000;
  c.transitions[TS_LISTEN][TS_SYN_RECV] = 40;
  c.retransmits[TS_ESTABLISHED] = 7;
  c.events_lost = lost;
  for (int i = 0; i < 7; ++i)
    model.on_event(event(TS_EV_RETRANSMIT, "10.200.1.1", 22, "10.9.9.9", static_cast<uint16_t>(50000 + i % 3),
                         TS_ESTABLISHED, 100 + i));
  model.refresh({c, sockets, {{"TcpExt.ListenOverflows", 12}}, PortRange{32768, 60999}, 2, 1001});
  return model.frame();
}

void expect_exact_size(const Screen& s, TermSize size) {
  ASSERT_EQ(static_cast<int>(s.rows.size()), size.rows);
  for (size_t r = 0; r < s.rows.size(); ++r) EXPECT_EQ(static_cast<int>(s.rows[r].width()), size.cols) << "row " << r;
}

std::optional<std::string> line_with(const Screen& s, const std::string& needle) {
  for (const Line& l : s.rows)
    if (l.text().find(needle) != std::string::npos) return l.text();
  return std::nullopt;
}

const LayoutOptions kAscii{&Glyphs::ascii()};
const LayoutOptions kUtf8{&Glyphs::utf8()};

TEST(TopLayout, FillsEveryCellAtEverySupportedSize) {
  const TopFrame f = busy_frame();
  for (const TermSize size :
       {TermSize{80, 24}, TermSize{72, 18}, TermSize{120, 40}, TermSize{200, 60}, TermSize{81, 25}})
    for (const LayoutOptions* o : {&kAscii, &kUtf8}) {
      SCOPED_TRACE(testing::Message() << size.cols << "x" << size.rows);
      expect_exact_size(layout_screen(f, {}, size, *o), size);
    }
}

TEST(TopLayout, At80x24TheKeyNumbersAreOnTheFirstScreen) {
  const Screen s = layout_screen(busy_frame(), {}, {80, 24}, kAscii);
  const std::string text = s.text();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(^TIME_WAIT\s+(\d+))", std::regex::multiline))) << text;
  EXPECT_EQ(m[1], "5000");
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(^SYN_RECV\s+(\d+))", std::regex::multiline)));
  EXPECT_EQ(m[1], "500");
  EXPECT_TRUE(line_with(s, "FIN_WAIT2->CLOSE")) << text;
  EXPECT_TRUE(line_with(s, "host vm"));
  EXPECT_TRUE(line_with(s, "q quit"));
  EXPECT_GT(s.max_scroll, 0);  // the rest is a scroll away
  std::cout << s.text();
}

TEST(TopLayout, ScrollingRevealsTheListenerAndTheFlows) {
  const TopFrame f = busy_frame();
  ViewState v;
  v.scroll = 1000;  // the end: clamped
  const Screen end = layout_screen(f, v, {80, 24}, kAscii);
  const auto flow = line_with(end, "10.9.9.9:50000");
  ASSERT_TRUE(flow) << end.text();
  EXPECT_NE(flow->find("ESTABLISHED"), std::string::npos);

  v.scroll = 12;
  const Screen middle = layout_screen(f, v, {80, 24}, kAscii);
  const auto l = line_with(middle, "10.200.1.1:8080");
  ASSERT_TRUE(l) << middle.text();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*l, m, std::regex(R"(8080\s+(\d+)\s+(\d+)/(\d+))")));
  EXPECT_EQ(m[1], "500");  // SYN queue
  EXPECT_EQ(m[2], "3");
  EXPECT_EQ(m[3], "128");
  EXPECT_NE(l->find("SYN QUEUE FULL"), std::string::npos);
}

TEST(TopLayout, A120x40WindowShowsEveryPanelWithoutScrolling) {
  const Screen s = layout_screen(busy_frame(), {}, {120, 40}, kAscii);
  EXPECT_EQ(s.max_scroll, 0) << s.text();
  for (const char* needle : {"STATES", "TRANSITIONS", "HALF-OPEN", "10.200.1.1:8080", "lifetime left",
                             "EPHEMERAL PORTS IN USE", "10.200.1.1:80", "RETRANSMITS", "10.9.9.9:50000"})
    EXPECT_TRUE(line_with(s, needle)) << needle << "\n" << s.text();
  // 5000 ports of 28232 toward 10.200.1.1:80.
  const auto dest = line_with(s, "10.200.1.1:80 ");
  ASSERT_TRUE(dest);
  EXPECT_NE(dest->find("17.7%"), std::string::npos) << *dest;
}

TEST(TopLayout, BelowTheMinimumItSaysSo) {
  const TermSize size{60, 20};
  const Screen s = layout_screen(busy_frame(), {}, size, kAscii);
  expect_exact_size(s, size);
  const std::string text = s.text();
  EXPECT_NE(text.find("too small"), std::string::npos) << text;
  EXPECT_EQ(text.find("STATES"), std::string::npos);
  // Even a tiny terminal gets exactly its cells.
  expect_exact_size(layout_screen(busy_frame(), {}, {10, 3}, kAscii), {10, 3});
}

TEST(TopLayout, PauseLostEventsPromptAndHelpAreVisible) {
  ViewState v;
  v.paused = true;
  const Screen paused = layout_screen(busy_frame(3), v, {80, 24}, kAscii);
  EXPECT_TRUE(line_with(paused, "PAUSED"));
  const auto lost = line_with(paused, "LOST 3");
  ASSERT_TRUE(lost);
  bool alert = false;
  for (const Span& sp : paused.rows[1].spans)
    alert = alert || (sp.style == Style::Alert && sp.text.find("LOST") != std::string::npos);
  EXPECT_TRUE(alert) << "events lost must be highlighted";
  EXPECT_FALSE(line_with(layout_screen(busy_frame(0), {}, {80, 24}, kAscii), "LOST"));

  ViewState prompt;
  prompt.prompting = true;
  prompt.prompt_text = "80";
  EXPECT_TRUE(line_with(layout_screen(busy_frame(), prompt, {80, 24}, kAscii), "search (port, pid, address, state, process): 80"));

  ViewState help;
  help.help = true;
  const Screen h = layout_screen(busy_frame(), help, {80, 24}, kAscii);
  EXPECT_TRUE(line_with(h, "KEYS"));
  EXPECT_FALSE(line_with(h, "STATES "));
}

TEST(TopLayout, AnOldSnapshotIsNamedInTheHeader) {
  TopFrame f = busy_frame();
  EXPECT_FALSE(line_with(layout_screen(f, {}, {120, 40}, kAscii), "snapshot"));
  f.snapshot_age_s = 12;
  const auto header = line_with(layout_screen(f, {}, {120, 40}, kAscii), "snapshot 12s old");
  ASSERT_TRUE(header);
  EXPECT_NE(header->find("sockets 5542"), std::string::npos) << *header;
}

TEST(TopLayout, PortSearchNarrowsFlowsAndListeners) {
  ViewState v;
  v.filter = "8080";
  const Screen s = layout_screen(busy_frame(), v, {120, 40}, kAscii);
  EXPECT_TRUE(line_with(s, "10.200.1.1:8080"));
  EXPECT_FALSE(line_with(s, "0.0.0.0:22"));
  EXPECT_TRUE(line_with(s, "no flow with retransmits or resets matches \"8080\""));
}

TEST(TopLayout, AsciiModeDrawsOnlyAscii) {
  const std::string text = layout_screen(busy_frame(), {}, {120, 40}, kAscii).text();
  for (char c : text) ASSERT_LT(static_cast<unsigned char>(c), 0x80) << text;
  const std::string utf8 = layout_screen(busy_frame(), {}, {120, 40}, kUtf8).text();
  EXPECT_NE(utf8.find("→"), std::string::npos);
}

TEST(TopLayout, FirstFrameShowsNoRatesYet) {
  TopModel model({}, 0);
  model.refresh({{}, {}, {}, std::nullopt, 1, 1});
  const Screen s = layout_screen(model.frame(), {}, {80, 24}, kAscii);
  expect_exact_size(s, {80, 24});
  EXPECT_TRUE(line_with(s, "events -"));
}

}  // namespace
}  // namespace tcpsight
