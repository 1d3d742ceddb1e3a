// top -A: the namespaces list's order and the keys that move through it, drill in and come back.
#include <gtest/gtest.h>

#include "top/namespace_list.hpp"
#include "top/view_state.hpp"

namespace tcpsight {
namespace {

NamespaceRow row(uint32_t inode, const std::string& name, uint64_t sockets, uint64_t time_wait, double retx = 0) {
  NamespaceRow r;
  r.inode = inode;
  r.name = name;
  r.sockets = sockets;
  r.time_wait = time_wait;
  r.retransmits_per_s = retx;
  r.has_rates = true;
  return r;
}

std::vector<std::string> names(const std::vector<NamespaceRow>& rows) {
  std::vector<std::string> out;
  for (const NamespaceRow& r : rows) out.push_back(r.name);
  return out;
}

// -A with three namespaces listed in this order.
ViewState listing() {
  ViewState v;
  v.namespaces = true;
  return v;
}
const std::vector<uint32_t> kListed = {30, 10, 20};

KeyEffect press(ViewState& v, Key::Kind k) { return apply_key(v, Key::of(k), 20, kListed); }
KeyEffect press(ViewState& v, char c) { return apply_key(v, Key::character(c), 20, kListed); }

TEST(TopNamespacesList, SortsLargestFirstAndTiesByName) {
  const std::vector<NamespaceRow> rows = {row(1, "web", 10, 5), row(2, "db", 40, 5), row(3, "api", 10, 20)};
  EXPECT_EQ(names(sort_namespaces(rows, NamespaceSort::Sockets)), (std::vector<std::string>{"db", "api", "web"}));
  EXPECT_EQ(names(sort_namespaces(rows, NamespaceSort::TimeWait)), (std::vector<std::string>{"api", "db", "web"}));
  EXPECT_EQ(names(sort_namespaces(rows, NamespaceSort::Name)), (std::vector<std::string>{"api", "db", "web"}));
}

TEST(TopNamespacesList, SortsByRateAndKeepsEqualRowsInPlace) {
  const std::vector<NamespaceRow> rows = {row(9, "b", 1, 1, 0), row(8, "a", 1, 1, 0), row(7, "c", 1, 1, 2.5)};
  EXPECT_EQ(names(sort_namespaces(rows, NamespaceSort::Retransmits)), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(inodes_of(sort_namespaces(rows, NamespaceSort::Retransmits)), (std::vector<uint32_t>{7, 8, 9}));
}

TEST(TopNamespacesList, TheHighlightFallsBackToTheFirstRow) {
  const std::vector<NamespaceRow> rows = {row(1, "a", 0, 0), row(2, "b", 0, 0)};
  EXPECT_EQ(highlighted_row(rows, 2), 1u);
  EXPECT_EQ(highlighted_row(rows, 99), 0u) << "a namespace no longer listed";
  EXPECT_EQ(highlighted_row(rows, 0), 0u) << "nothing chosen yet";
}

TEST(TopNamespacesViewState, ArrowsMoveTheHighlightWithinTheList) {
  ViewState v = listing();
  press(v, Key::Kind::Down);
  EXPECT_EQ(v.selected_netns, 10u) << "from the first row (nothing chosen) to the second";
  press(v, Key::Kind::Down);
  press(v, Key::Kind::Down);
  EXPECT_EQ(v.selected_netns, 20u) << "stops at the last";
  press(v, Key::Kind::Up);
  EXPECT_EQ(v.selected_netns, 10u);
  press(v, Key::Kind::Home);
  EXPECT_EQ(v.selected_netns, 30u);
  press(v, Key::Kind::End);
  EXPECT_EQ(v.selected_netns, 20u);
  press(v, Key::Kind::PageUp);
  EXPECT_EQ(v.selected_netns, 30u);
  EXPECT_EQ(v.scroll, 0) << "the arrows move the highlight, not the page";
}

TEST(TopNamespacesViewState, EnterDrillsInAndEscOrBackspaceReturn) {
  ViewState v = listing();
  press(v, Key::Kind::Down);
  EXPECT_TRUE(press(v, Key::Kind::Enter).changed);
  ASSERT_TRUE(v.drilled);
  EXPECT_EQ(*v.drilled, 10u);
  EXPECT_FALSE(v.listing());
  // In the full view the arrows scroll again.
  press(v, Key::Kind::Down);
  EXPECT_EQ(v.scroll, 1);
  EXPECT_EQ(v.selected_netns, 10u);
  press(v, Key::Kind::Escape);
  EXPECT_FALSE(v.drilled);
  EXPECT_EQ(v.scroll, 0);
  EXPECT_EQ(v.selected_netns, 10u) << "back on the row it came from";

  press(v, Key::Kind::Enter);
  ASSERT_TRUE(v.drilled);
  EXPECT_TRUE(press(v, Key::Kind::Backspace).changed);
  EXPECT_TRUE(v.listing());
}

TEST(TopNamespacesViewState, EscHidesTheHelpBeforeLeavingTheNamespace) {
  ViewState v = listing();
  press(v, Key::Kind::Enter);
  press(v, '?');
  ASSERT_TRUE(v.help);
  press(v, Key::Kind::Escape);
  EXPECT_FALSE(v.help);
  EXPECT_TRUE(v.drilled) << "still in the namespace";
  press(v, Key::Kind::Escape);
  EXPECT_FALSE(v.drilled);
}

TEST(TopNamespacesViewState, SSortsTheListThereAndTheFlowsInAFullView) {
  ViewState v = listing();
  const FlowSort flows = v.sort;
  for (int i = 0; i < kNamespaceSorts; ++i) {
    EXPECT_EQ(static_cast<int>(v.namespace_sort), i);
    press(v, 's');
  }
  EXPECT_EQ(v.namespace_sort, NamespaceSort::Sockets) << "every column, then back to the first";
  EXPECT_EQ(v.sort, flows) << "the flow sort is untouched in the list";
  press(v, 's');
  press(v, Key::Kind::Enter);
  press(v, 's');
  EXPECT_NE(v.sort, flows);
  EXPECT_EQ(v.namespace_sort, NamespaceSort::Established);
}

TEST(TopNamespacesViewState, AnEmptyListHasNothingToEnter) {
  ViewState v = listing();
  EXPECT_FALSE(apply_key(v, Key::of(Key::Kind::Enter), 20, {}).changed);
  EXPECT_FALSE(v.drilled);
}

TEST(TopNamespacesViewState, WithNetnsThereIsNoListToReturnTo) {
  ViewState v;  // --netns: one namespace in full from the start
  v.drilled = 42;
  press(v, Key::Kind::Escape);
  press(v, Key::Kind::Backspace);
  ASSERT_TRUE(v.drilled);
  EXPECT_EQ(*v.drilled, 42u);
  EXPECT_TRUE(press(v, 'q').quit);
}

}  // namespace
}  // namespace tcpsight
