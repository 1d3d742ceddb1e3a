#include <gtest/gtest.h>

#include "top/flow_table.hpp"
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

TEST(TopViewState, FilterPromptTakesDigitsAndEnterApplies) {
  ViewState v;
  press(v, 'f');
  EXPECT_TRUE(v.prompting);
  press(v, '8');
  press(v, 'q');  // not a digit: ignored, and does not quit while typing
  press(v, '0');
  press(v, '8');
  press(v, Key::Kind::Backspace);
  EXPECT_EQ(v.prompt_text, "80");
  press(v, Key::Kind::Enter);
  EXPECT_FALSE(v.prompting);
  ASSERT_TRUE(v.port_filter);
  EXPECT_EQ(*v.port_filter, 80);
  // An empty prompt clears the filter.
  press(v, 'f');
  press(v, Key::Kind::Enter);
  EXPECT_FALSE(v.port_filter);
}

TEST(TopViewState, FilterRejectsNonPortsAndEscCancels) {
  ViewState v;
  press(v, 'f');
  for (char c : std::string("70000")) press(v, c);
  press(v, Key::Kind::Enter);
  EXPECT_FALSE(v.port_filter);
  EXPECT_NE(v.notice.find("70000"), std::string::npos);
  press(v, 'f');
  press(v, '9');
  press(v, Key::Kind::Escape);
  EXPECT_FALSE(v.prompting);
  EXPECT_FALSE(v.port_filter);
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
  auto by_retx = select_flows(flows, FlowSort::Retransmits, std::nullopt);
  ASSERT_EQ(by_retx.size(), 3u);
  EXPECT_EQ(by_retx[0].retransmits, 9u);
  EXPECT_EQ(by_retx[2].retransmits, 1u);
  EXPECT_EQ(select_flows(flows, FlowSort::Resets, std::nullopt)[0].resets, 4u);
  EXPECT_EQ(select_flows(flows, FlowSort::Recent, std::nullopt)[0].last_ns, 300u);
  EXPECT_EQ(format_address(select_flows(flows, FlowSort::Remote, std::nullopt)[0].remote), "10.0.0.2");
  const auto port80 = select_flows(flows, FlowSort::Retransmits, uint16_t{80});
  ASSERT_EQ(port80.size(), 2u);  // remote port 80 and local port 80
  EXPECT_EQ(port80[0].retransmits, 5u);
}

}  // namespace
}  // namespace tcpsight
