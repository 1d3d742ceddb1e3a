// top -A on screen: per-namespace models fed from a NamespaceTable, the namespaces panel, the
// drilled-in full view of one namespace, and what the layout does with them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>

#include "core/namespace_table.hpp"
#include "top/layout.hpp"
#include "top/namespace_list.hpp"
#include "top/namespace_models.hpp"
#include "top_test_records.hpp"

namespace tcpsight {
namespace {

using namespace top_test;

constexpr uint32_t kWeb = 101, kDb = 102;

NamespaceSighting sighting(uint32_t inode, const std::string& name, const std::vector<ts_sock_record>& sockets,
                           int64_t listen_overflows) {
  NamespaceSighting s;
  s.id = {.inode = inode, .name = name, .kind = "podman", .container_id = {}, .host = false};
  s.census = SocketCensus::from_records(sockets);
  s.snapshot_age_s = 0.5;
  s.kernel = KernelCounters{{"TcpExt.ListenOverflows", listen_overflows}};
  return s;
}

std::vector<ts_sock_record> web_sockets() {
  std::vector<ts_sock_record> out;
  for (uint16_t i = 0; i < 20; ++i) out.push_back(time_wait("10.0.0.1", 40000 + i, "10.0.0.9", 80, 30000));
  for (uint16_t i = 0; i < 3; ++i) out.push_back(record(TS_ESTABLISHED, "10.0.0.1", 443, "10.0.0.7", 50000 + i));
  return out;
}

ts_netns_counters retransmits(uint64_t n) {
  ts_netns_counters c{};
  c.retransmits[TS_ESTABLISHED] = n;
  return c;
}

// A refresh at `t` seconds (wall time 1000 s later), its censuses fresh.
NamespaceRefresh at(double t, bool fresh = true, std::optional<uint32_t> keep = std::nullopt) {
  NamespaceRefresh r;
  r.now_s = t;
  r.wall_s = 1000 + t;
  r.snapshot_fresh = fresh;
  r.keep = keep;
  return r;
}

ts_event in(uint32_t netns, ts_event e) {
  e.netns = netns;
  return e;
}

// Two refreshes one second apart of web (20 TIME_WAIT, 4 retransmits/s, 5 listen overflows/s)
// and db (one connection); a retransmit event streamed in each.
struct TwoNamespaces {
  NamespaceTable table;
  NamespaceModels models{{"vm", "6.18.44", "host"}, 0};

  TwoNamespaces() {
    const std::vector<ts_sock_record> db = {record(TS_ESTABLISHED, "10.1.0.1", 5432, "10.1.0.2", 41000)};
    models.on_event(in(kWeb, event(TS_EV_RETRANSMIT, "10.0.0.1", 443, "10.0.0.7", 50000, TS_ESTABLISHED, 10)));
    models.on_event(in(kDb, event(TS_EV_RETRANSMIT, "10.1.0.1", 5432, "10.1.0.2", 41000, TS_ESTABLISHED, 11)));
    for (int t = 1; t <= 2; ++t) {
      table.refresh({sighting(kWeb, "web", web_sockets(), 5 * t), sighting(kDb, "db", db, 0)},
                    {{kWeb, retransmits(4u * t)}, {kDb, retransmits(0)}}, t);
      models.refresh(table, at(t));
    }
  }
};

const NamespaceRow& row_named(const TopFrame& list, const std::string& name) {
  for (const NamespaceRow& r : list.namespaces)
    if (r.name == name) return r;
  throw std::runtime_error("no row " + name);
}

std::optional<std::string> line_with(const Screen& s, const std::string& needle) {
  for (const Line& l : s.rows)
    if (l.text().find(needle) != std::string::npos) return l.text();
  return std::nullopt;
}

Screen draw(const TopFrame& f, const ViewState& v, TermSize size = {100, 30}) { return layout_screen(f, v, size, {}); }

ViewState listing() {
  ViewState v;
  v.namespaces = true;
  return v;
}

TEST(TopNamespacesModels, EachRowHasItsOwnNamespacesFigures) {
  TwoNamespaces two;
  const NamespaceFrames frames = two.models.frames();
  ASSERT_EQ(frames.list.namespaces.size(), 2u);
  const NamespaceRow& web = row_named(frames.list, "web");
  EXPECT_EQ(web.sockets, 23u);
  EXPECT_EQ(web.time_wait, 20u);
  EXPECT_EQ(web.established, 3u);
  EXPECT_DOUBLE_EQ(web.retransmits_per_s, 4);
  EXPECT_DOUBLE_EQ(web.listen_overflows_per_s, 5) << "from its own TcpExt.ListenOverflows";
  const NamespaceRow& db = row_named(frames.list, "db");
  EXPECT_EQ(db.sockets, 1u);
  EXPECT_EQ(db.time_wait, 0u);
  EXPECT_DOUBLE_EQ(db.retransmits_per_s, 0);
  // The header's figures are the sum.
  EXPECT_EQ(frames.list.sockets_total, 24u);
  EXPECT_DOUBLE_EQ(frames.list.retransmits_per_s, 4);
}

TEST(TopNamespacesModels, ANamespacesFullViewShowsOnlyItsFlowsAndCounters) {
  TwoNamespaces two;
  const NamespaceFrames frames = two.models.frames();
  const TopFrame& web = frames.each.at(kWeb);
  ASSERT_EQ(web.flows.size(), 1u);
  EXPECT_EQ(web.flows[0].local_port, 443);
  EXPECT_EQ(web.time_wait.count, 20u);
  EXPECT_DOUBLE_EQ(web.listen_overflows_per_s, 5);
  EXPECT_EQ(web.host.netns, "web (podman)");
  ASSERT_EQ(frames.each.at(kDb).flows.size(), 1u);
  EXPECT_EQ(frames.each.at(kDb).flows[0].local_port, 5432);
}

TEST(TopNamespacesModels, AVanishedNamespaceIsMarkedThenDroppedUnlessOnScreen) {
  TwoNamespaces two;
  const std::vector<ts_sock_record> none;
  two.table.refresh({sighting(kDb, "db", none, 0)}, {}, 3);
  two.models.refresh(two.table, at(3));
  NamespaceFrames frames = two.models.frames();
  EXPECT_TRUE(row_named(frames.list, "web").gone);
  EXPECT_EQ(row_named(frames.list, "web").time_wait, 20u) << "its final figures";
  EXPECT_EQ(frames.each.at(kWeb).host.netns, "web (podman) GONE");

  // The table drops it; on screen in full, its model stays.
  two.table.refresh({sighting(kDb, "db", none, 0)}, {}, 4);
  two.models.refresh(two.table, at(4, true, kWeb));
  frames = two.models.frames();
  ASSERT_TRUE(frames.each.count(kWeb));
  EXPECT_EQ(frames.each.at(kWeb).time_wait.count, 20u);
  two.models.refresh(two.table, at(5, false));
  EXPECT_FALSE(two.models.frames().each.count(kWeb)) << "left: forgotten";
}

TEST(TopNamespacesScreen, TheListShowsARowPerNamespaceWithItsCounts) {
  TwoNamespaces two;
  const Screen s = draw(two.models.frames().list, listing());
  const std::string text = s.text();
  EXPECT_NE(text.find("NAMESPACES 2  by sockets"), std::string::npos) << text;
  // "> web  sockets ESTAB TIME_WAIT SYN_RECV retx/s rst/s ovfl/s": highlighted, the largest first.
  std::smatch m;
  const std::regex web_row(R"(\n> web\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+))");
  ASSERT_TRUE(std::regex_search(text, m, web_row)) << text;
  EXPECT_EQ(std::vector<std::string>(m.begin() + 1, m.end()),
            (std::vector<std::string>{"23", "3", "20", "0", "4", "0", "5"}));
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(\n  db\s+1\s+1\s+0\s)"))) << text;
  // The header: every namespace, and how old the snapshots are.
  EXPECT_TRUE(line_with(s, "netns all (2)")) << text;
  EXPECT_TRUE(line_with(s, "snapshot")) << text;
  EXPECT_TRUE(line_with(s, "Enter show")) << "the footer names the list's keys\n" << text;
}

TEST(TopNamespacesScreen, TheSortAndTheHighlightFollowTheView) {
  TwoNamespaces two;
  ViewState v = listing();
  v.namespace_sort = NamespaceSort::Name;
  v.selected_netns = kWeb;
  const std::string text = draw(two.models.frames().list, v).text();
  EXPECT_LT(text.find("  db "), text.find("> web ")) << text;
  EXPECT_NE(text.find("by name"), std::string::npos);
}

TEST(TopNamespacesScreen, GoneNamespacesAreMarked) {
  TwoNamespaces two;
  two.table.refresh({sighting(kDb, "db", {}, 0)}, {}, 3);
  two.models.refresh(two.table, at(3));
  const std::string text = draw(two.models.frames().list, listing()).text();
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(web \(gone\)\s+23\s)"))) << text;
}

TEST(TopNamespacesScreen, DrilledInTheFullViewShowsThatNamespaceAlone) {
  TwoNamespaces two;
  const NamespaceFrames frames = two.models.frames();
  ViewState v = listing();
  v.drilled = kWeb;
  const Screen s = draw(shown_frame(frames, v), v, {120, 50});
  const std::string text = s.text();
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(\nTIME_WAIT\s+20\s)"))) << text;
  EXPECT_TRUE(line_with(s, "netns web (podman)")) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(snapshot \d+s old)")))
      << "the header says how old its snapshot is\n" << text;
  EXPECT_TRUE(line_with(s, "10.0.0.7:50000")) << "its flow\n" << text;
  EXPECT_FALSE(line_with(s, "10.1.0.2:41000")) << "not db's\n" << text;
  EXPECT_TRUE(line_with(s, "Esc list")) << text;
  EXPECT_TRUE(line_with(s, "not counted per namespace")) << text;
}

TEST(TopNamespacesScreen, TheListScrollsToKeepTheHighlightInSight) {
  TopFrame list;
  for (uint32_t i = 1; i <= 60; ++i) {
    NamespaceRow& r = list.namespaces.emplace_back();
    r.inode = i;
    r.name = fmt::format("ns{:02}", i);
  }
  ViewState v = listing();
  v.namespace_sort = NamespaceSort::Name;
  v.selected_netns = 50;
  const Screen s = draw(list, v, kMinimumSize);
  ASSERT_TRUE(line_with(s, "> ns50")) << s.text();
  EXPECT_EQ(s.rows[s.rows.size() - 2].text().substr(0, 6), "> ns50") << "at the bottom edge, no further\n" << s.text();
  // Going back up from there moves the highlight, not the page, until it reaches the top edge.
  v.scroll = s.scroll;
  v.selected_netns = 45;
  const Screen up = draw(list, v, kMinimumSize);
  EXPECT_EQ(up.scroll, s.scroll);
  EXPECT_TRUE(line_with(up, "> ns45"));
  v.selected_netns = 1;
  EXPECT_TRUE(line_with(draw(list, v, kMinimumSize), "> ns01"));
}

TEST(TopNamespacesScreen, BelowTheMinimumSizeTheMessageStillApplies) {
  TwoNamespaces two;
  const Screen s = draw(two.models.frames().list, listing(), {60, 12});
  EXPECT_NE(s.text().find("Terminal too small"), std::string::npos) << s.text();
}

TEST(TopNamespacesScreen, HelpNamesTheNamespaceKeys) {
  ViewState v = listing();
  v.help = true;
  const std::string text = draw(TopFrame{}, v, {100, 40}).text();
  EXPECT_NE(text.find("Enter"), std::string::npos) << text;
  EXPECT_NE(text.find("Esc Backspace"), std::string::npos) << text;
  EXPECT_NE(text.find("namespaces list"), std::string::npos) << text;
}

}  // namespace
}  // namespace tcpsight
