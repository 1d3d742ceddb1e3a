#include <gtest/gtest.h>

#include "top/flow_table.hpp"
#include "top/search_filter.hpp"
#include "top/view_state.hpp"
#include "top_test_records.hpp"

namespace tcpsight {
namespace {

KeyEffect press(ViewState& v, char c) { return apply_key(v, Key::character(c), 20); }
KeyEffect press(ViewState& v, Key::Kind k) { return apply_key(v, Key::of(k), 20); }

TEST(TopViewState, QQuitsAndPTogglesPause) {
  ViewState v;
  EXPECT_TRUE(press(v, 'q').quit);
  EXPECT_FALSE(press(v, 'p').quit);
  EXPECT_TRUE(v.paused);
  press(v, 'p');
  EXPECT_FALSE(v.paused);
}

TEST(TopViewState, SCyclesEverySortAndComesBack) {
  ViewState v;
  const FlowSort first = v.sort;
  press(v, 's');
  EXPECT_NE(v.sort, first);
  press(v, 's');
  press(v, 's');
  press(v, 's');
  EXPECT_EQ(v.sort, first);
}

TEST(TopViewState, SearchPromptTakesTextAndEnterApplies) {
  ViewState v;
  press(v, '/');
  EXPECT_TRUE(v.prompting);
  for (char c : std::string("nginxq")) press(v, c);  // 'q' is text while typing: no quit
  press(v, Key::Kind::Backspace);
  EXPECT_EQ(v.prompt_text, "nginx");
  press(v, Key::Kind::Enter);
  EXPECT_FALSE(v.prompting);
  EXPECT_EQ(v.filter, "nginx");
  // The prompt starts from what is searched for; emptied, it clears the search.
  press(v, 'f');
  EXPECT_EQ(v.prompt_text, "nginx");
  for (int i = 0; i < 5; ++i) press(v, Key::Kind::Backspace);
  press(v, Key::Kind::Enter);
  EXPECT_EQ(v.filter, "");
}

TEST(TopViewState, SearchEscCancelsAndControlCharactersAreNotTyped) {
  ViewState v;
  press(v, '/');
  press(v, '\x1b');
  press(v, '\x07');
  press(v, '9');
  EXPECT_EQ(v.prompt_text, "9");
  press(v, Key::Kind::Escape);
  EXPECT_FALSE(v.prompting);
  EXPECT_EQ(v.filter, "");
}

KeyEffect press_on(ViewState& v, Key::Kind k, const std::vector<std::string>& selectables) {
  return apply_key(v, Key::of(k), 20, {}, selectables);
}

TEST(TopViewState, ArrowsHighlightRowsAndEnterOpensTheirSockets) {
  ViewState v;
  const std::vector<std::string> rows = {"state:1", "state:8", "tr:2:7:0"};
  press_on(v, Key::Kind::Down, rows);  // nothing highlighted yet: the first row
  EXPECT_EQ(v.selected_here(), "state:1");
  press_on(v, Key::Kind::Down, rows);
  EXPECT_EQ(v.selected_here(), "state:8");
  EXPECT_TRUE(v.follow);
  press_on(v, Key::Kind::Enter, rows);
  EXPECT_EQ(v.page, Page::Sockets);
  EXPECT_EQ(v.drill, "state:8");
  // Esc goes back to the overview, with its highlight where it was.
  press_on(v, Key::Kind::Escape, {});
  EXPECT_EQ(v.page, Page::Overview);
  EXPECT_EQ(v.selected_here(), "state:8");
}

TEST(TopViewState, OTogglesProcessesAndEnterThereListsAProcessSockets) {
  ViewState v;
  press(v, 'o');
  EXPECT_EQ(v.page, Page::Processes);
  const std::vector<std::string> rows = {"proc:10", "proc:20"};
  press_on(v, Key::Kind::End, rows);
  EXPECT_EQ(v.selected_here(), "proc:20");
  press_on(v, Key::Kind::Enter, rows);
  EXPECT_EQ(v.page, Page::Sockets);
  EXPECT_EQ(v.drill, "proc:20");
  const SocketSort before = v.socket_sort;
  press(v, 's');  // on the sockets page: their sort, not the flows'
  EXPECT_NE(v.socket_sort, before);
  EXPECT_EQ(v.sort, FlowSort::Retransmits);
  press(v, Key::Kind::Escape);  // back to the processes, then to the overview
  EXPECT_EQ(v.page, Page::Processes);
  press(v, 'o');
  EXPECT_EQ(v.page, Page::Overview);
}

TEST(TopViewState, ScrollNeverGoesAboveTheTop) {
  ViewState v;
  press(v, Key::Kind::Up);
  EXPECT_EQ(v.scroll, 0);
  press(v, Key::Kind::PageDown);
  EXPECT_EQ(v.scroll, 19);
  press(v, Key::Kind::Down);
  EXPECT_EQ(v.scroll, 20);
  press(v, Key::Kind::PageUp);
  press(v, Key::Kind::PageUp);
  EXPECT_EQ(v.scroll, 0);
}

TEST(TopViewState, QuestionMarkTogglesHelp) {
  ViewState v;
  press(v, '?');
  EXPECT_TRUE(v.help);
  press(v, Key::Kind::Escape);
  EXPECT_FALSE(v.help);
}

TEST(TopFlowTable, FiltersByEitherPortAndSorts) {
  using namespace top_test;
  std::vector<FlowRow> flows = {
      {addr("10.0.0.1"), addr("10.0.0.2"), 40000, 80, TS_ESTABLISHED, 5, 0, 0, "", 300},
      {addr("10.0.0.1"), addr("10.0.0.3"), 40001, 443, TS_ESTABLISHED, 9, 1, 0, "", 100},
      {addr("10.0.0.1"), addr("10.0.0.4"), 80, 50000, TS_CLOSE_WAIT, 1, 4, 0, "", 200},
  };
  const SearchFilter all("");
  auto by_retx = select_flows(flows, FlowSort::Retransmits, all);
  ASSERT_EQ(by_retx.size(), 3u);
  EXPECT_EQ(by_retx[0].retransmits, 9u);
  EXPECT_EQ(by_retx[2].retransmits, 1u);
  EXPECT_EQ(select_flows(flows, FlowSort::Resets, all)[0].resets, 4u);
  EXPECT_EQ(select_flows(flows, FlowSort::Recent, all)[0].last_ns, 300u);
  EXPECT_EQ(format_address(select_flows(flows, FlowSort::Remote, all)[0].remote), "10.0.0.2");
  const auto port80 = select_flows(flows, FlowSort::Retransmits, SearchFilter("80"));
  ASSERT_EQ(port80.size(), 2u);  // remote port 80 and local port 80
  EXPECT_EQ(port80[0].retransmits, 5u);
  const auto close_wait = select_flows(flows, FlowSort::Retransmits, SearchFilter("close-wait"));
  ASSERT_EQ(close_wait.size(), 1u);
  EXPECT_EQ(close_wait[0].local_port, 80);
  EXPECT_EQ(select_flows(flows, FlowSort::Retransmits, SearchFilter("10.0.0.3")).size(), 1u);
}

TEST(TopFlowTable, TroubleInTheLastIntervalComesFirst) {
  using namespace top_test;
  std::vector<FlowRow> flows = {
      {addr("10.0.0.1"), addr("10.0.0.2"), 40000, 80, TS_ESTABLISHED, 900, 0, 0, "", 300},
      {addr("10.0.0.1"), addr("10.0.0.3"), 40001, 443, TS_ESTABLISHED, 3, 0, 0, "", 100},
  };
  flows[1].retransmits_per_s = 2;  // the old flow's 900 are history
  EXPECT_EQ(select_flows(flows, FlowSort::Retransmits, SearchFilter(""))[0].remote_port, 443);
}

}  // namespace
}  // namespace tcpsight
