// `tcpsight record` and the replays of what it wrote (stats -r, trace -r): what a replay reports
// equals what the live command printed in the same run and what the kernel counted, and a file
// cut short or damaged replays what is intact and says so.
#include <fmt/format.h>
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

namespace fs = std::filesystem;

// A directory for one test's recordings, removed with it.
struct ScratchDir {
  ScratchDir() {
    char tmpl[] = "/tmp/tcpsight-record-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

// `record -w path` in the namespace, started and attached.
std::unique_ptr<Child> start_recording(const Netns& ns, const std::string& path, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {tcpsight_binary(), "record", "-w", path};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto rec = std::make_unique<Child>(argv, ns.inside());
  EXPECT_TRUE(rec->wait_for_line(Child::Stream::err, "recording TCP", 20s)) << rec->err();
  return rec;
}

void stop(Child& c, const char* what) {
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait(20s), 0) << what << ": " << c.err();
}

// The connections of one burst: every way the harness can end one, IPv4 and IPv6.
size_t burst(const Netns& ns, int round) {
  constexpr CloseMode kModes[] = {CloseMode::client_first, CloseMode::reset, CloseMode::unread_data,
                                  CloseMode::half_close_then_reset, CloseMode::server_first};
  const CloseMode mode = kModes[round % 5];
  make_connections(ns.name(), round % 2 ? "::1" : "127.0.0.1", 20, mode);
  return 20;
}

std::map<std::string, uint64_t> transitions_of(const nlohmann::json& report) {
  std::map<std::string, uint64_t> out;
  for (const auto& t : report.at("transitions"))
    out[t.at("from").get<std::string>() + "->" + t.at("to").get<std::string>()] = t.at("count").get<uint64_t>();
  return out;
}

// What happened between two reports: each transition's count, and the other counters.
std::map<std::string, int64_t> interval_counts(const nlohmann::json& before, const nlohmann::json& after) {
  std::map<std::string, int64_t> out;
  const auto a = transitions_of(before), b = transitions_of(after);
  for (const auto& [k, v] : b) {
    const auto it = a.find(k);
    if (const int64_t d = static_cast<int64_t>(v) - static_cast<int64_t>(it == a.end() ? 0 : it->second)) out[k] = d;
  }
  for (const char* key : {"resets_sent", "resets_received", "retransmits", "fin_wait2_handed_over"})
    out[key] = after.at(key).get<int64_t>() - before.at(key).get<int64_t>();
  out["time_wait.entered"] =
      after.at("time_wait").at("entered").get<int64_t>() - before.at("time_wait").at("entered").get<int64_t>();
  return out;
}

TEST(RecordReplay, StatsReplayGivesEachIntervalTheCountsLiveStatsPrinted) {
  TS_REQUIRE_ROOT_OR_SKIP();
  ScratchDir dir;
  const std::string path = dir.file("churn.tsr");
  Netns ns("rec-stats");
  const KernelCounters before = ns.kernel_counters();
  auto rec = start_recording(ns, path);
  Child live({tcpsight_binary(), "stats", "--json", "--interval", "2"}, ns.inside());
  ASSERT_TRUE(live.wait_for_lines(Child::Stream::out, 1, 20s)) << live.err();
  constexpr int kBursts = 5;
  size_t made = 0;
  for (int k = 0; k < kBursts; ++k) {
    ASSERT_TRUE(live.wait_for_lines(Child::Stream::out, static_cast<size_t>(k) + 1, 20s)) << live.err();
    // The recording reads the counters every 0.1 s, so an interval's bounds in the replay are
    // within 0.1 s of live stats' reads: the workload keeps 0.3 s clear of each report.
    std::this_thread::sleep_for(300ms);
    made += burst(ns, k);
  }
  ASSERT_TRUE(live.wait_for_lines(Child::Stream::out, kBursts + 2, 20s)) << live.err();
  stop(live, "live stats");
  stop(*rec, "record");
  const KernelCounters after = ns.kernel_counters();
  const auto lives = json_lines(live.out());
  ASSERT_GE(lives.size(), static_cast<size_t>(kBursts + 2));

  const CommandResult replayed =
      run_command({tcpsight_binary(), "stats", "-r", path, "--json", "--interval", "2", "--from",
                   fmt::format("{:.6f}", lives.front().at("time").get<double>())});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  const auto replays = json_lines(replayed.out);
  ASSERT_GE(replays.size(), static_cast<size_t>(kBursts + 1)) << replayed.out;
  uint64_t opens = 0;
  for (size_t k = 1; k <= static_cast<size_t>(kBursts); ++k) {
    SCOPED_TRACE("interval " + std::to_string(k));
    // The replay's reports are at the live first report's time plus whole intervals; live stats'
    // drift by a few ms of scheduling.
    EXPECT_NEAR(replays[k].at("time").get<double>(), lives[k].at("time").get<double>(), 0.25);
    const auto live_counts = interval_counts(lives[k - 1], lives[k]);
    EXPECT_EQ(interval_counts(replays[k - 1], replays[k]), live_counts) << lives[k].dump() << "\n" << replays[k].dump();
    const auto it = live_counts.find("CLOSE->SYN_SENT");
    opens += it == live_counts.end() ? 0 : static_cast<uint64_t>(it->second);
  }
  // And the kernel's own count of the connections made in those intervals.
  const int64_t active_opens = after.at("Tcp.ActiveOpens") - before.at("Tcp.ActiveOpens");
  report_figure("Tcp.ActiveOpens delta", static_cast<double>(active_opens));
  report_figure("replayed CLOSE->SYN_SENT", static_cast<double>(opens));
  EXPECT_EQ(active_opens, static_cast<int64_t>(made));
  EXPECT_EQ(opens, made);
  EXPECT_EQ(replays.back().at("events").at("lost").get<uint64_t>(), 0u);
}

// Reports of stats -A --json, in rounds: each round's reports by namespace name, and the time of
// the round (its closing {"netns":"all"} line).
struct NamespaceRound {
  double time = 0;
  std::map<std::string, nlohmann::json> by_name;
};
std::vector<NamespaceRound> namespace_rounds(const std::string& out) {
  std::vector<NamespaceRound> rounds(1);
  for (const auto& j : json_lines(out)) {
    if (j.at("netns") == "all") {
      rounds.back().time = j.at("time").get<double>();
      rounds.emplace_back();
    } else {
      rounds.back().by_name[j.at("name").get<std::string>()] = j;
    }
  }
  rounds.pop_back();  // the one after the last closing line
  return rounds;
}

TEST(RecordReplay, AllNamespacesReplayGivesEachNamespaceTheCountsLiveStatsPrinted) {
  TS_REQUIRE_ROOT_OR_SKIP();
  ScratchDir dir;
  const std::string path = dir.file("all.tsr");
  Netns a("rec-all-a"), b("rec-all-b");
  const KernelCounters a_before = a.kernel_counters(), b_before = b.kernel_counters();
  Child rec({tcpsight_binary(), "record", "-A", "-w", path});
  ASSERT_TRUE(rec.wait_for_line(Child::Stream::err, "recording TCP in every network namespace", 20s)) << rec.err();
  // The file holds both namespaces once the recorder's first refresh is in a sealed chunk; the
  // replay of a file still being written says it is cut short, and shows what it has.
  ASSERT_TRUE(wait_until(
      [&] {
        const CommandResult r = run_command({tcpsight_binary(), "stats", "-r", path, "--json", "--count", "1"});
        return r.out.find("\"name\":\"" + b.name() + "\"") != std::string::npos;
      },
      30s, 200ms))
      << rec.err();
  Child live({tcpsight_binary(), "stats", "-A", "--json", "--interval", "2"});
  constexpr int kBursts = 4;
  const auto rounds_seen = [&] { return namespace_rounds(live.out()).size(); };
  ASSERT_TRUE(wait_until([&] { return rounds_seen() >= 1; }, 20s)) << live.err();
  size_t made_a = 0, made_b = 0;
  for (int k = 0; k < kBursts; ++k) {
    ASSERT_TRUE(wait_until([&] { return rounds_seen() >= static_cast<size_t>(k) + 1; }, 20s)) << live.err();
    // As above: the recording's counter readings are 0.1 s apart, so the work keeps clear of them.
    std::this_thread::sleep_for(300ms);
    (k % 2 ? made_b : made_a) += burst(k % 2 ? b : a, k);
    if (k == 1) made_b += burst(b, 2);  // two at once in one interval: a namespace each is not enough
  }
  ASSERT_TRUE(wait_until([&] { return rounds_seen() >= kBursts + 2; }, 20s)) << live.err();
  stop(live, "live stats -A");
  stop(rec, "record -A");
  const KernelCounters a_after = a.kernel_counters(), b_after = b.kernel_counters();
  const auto lives = namespace_rounds(live.out());
  ASSERT_GE(lives.size(), static_cast<size_t>(kBursts + 2));

  const CommandResult replayed = run_command({tcpsight_binary(), "stats", "-r", path, "--json", "--interval", "2",
                                              "--from", fmt::format("{:.6f}", lives.front().time)});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  const auto replays = namespace_rounds(replayed.out);
  ASSERT_GE(replays.size(), static_cast<size_t>(kBursts + 1)) << replayed.out;
  std::map<std::string, uint64_t> opens;
  for (size_t k = 1; k <= static_cast<size_t>(kBursts); ++k) {
    SCOPED_TRACE("interval " + std::to_string(k));
    EXPECT_NEAR(replays[k].time, lives[k].time, 0.25);
    for (const Netns* ns : {&a, &b}) {
      SCOPED_TRACE(ns->name());
      const auto live_before = lives[k - 1].by_name.find(ns->name()), live_after = lives[k].by_name.find(ns->name());
      const auto replay_before = replays[k - 1].by_name.find(ns->name()),
                 replay_after = replays[k].by_name.find(ns->name());
      ASSERT_TRUE(live_before != lives[k - 1].by_name.end() && live_after != lives[k].by_name.end()) << live.out();
      ASSERT_TRUE(replay_before != replays[k - 1].by_name.end() && replay_after != replays[k].by_name.end())
          << replayed.out;
      const auto live_counts = interval_counts(live_before->second, live_after->second);
      EXPECT_EQ(interval_counts(replay_before->second, replay_after->second), live_counts);
      EXPECT_EQ(replay_after->second.at("netns"), live_after->second.at("netns"));
      EXPECT_EQ(replay_after->second.at("kind"), "netns");
      const auto it = live_counts.find("CLOSE->SYN_SENT");
      opens[ns->name()] += it == live_counts.end() ? 0 : static_cast<uint64_t>(it->second);
    }
  }
  // Each namespace's own connects, as its kernel counted them: none of one's counted in the other.
  const int64_t a_opens = a_after.at("Tcp.ActiveOpens") - a_before.at("Tcp.ActiveOpens");
  const int64_t b_opens = b_after.at("Tcp.ActiveOpens") - b_before.at("Tcp.ActiveOpens");
  report_figure("namespace a Tcp.ActiveOpens delta", static_cast<double>(a_opens));
  report_figure("namespace b Tcp.ActiveOpens delta", static_cast<double>(b_opens));
  EXPECT_EQ(a_opens, static_cast<int64_t>(made_a));
  EXPECT_EQ(b_opens, static_cast<int64_t>(made_b));
  EXPECT_EQ(opens[a.name()], made_a);
  EXPECT_EQ(opens[b.name()], made_b);
  EXPECT_EQ(json_lines(replayed.out).back().at("events").at("lost").get<uint64_t>(), 0u);

  // trace -r names each event's namespace, as live trace -A does: every connect in its own.
  const CommandResult traced = run_command({tcpsight_binary(), "trace", "-r", path, "--json", "--state", "SYN_SENT"});
  ASSERT_EQ(traced.exit_code, 0) << traced.err;
  std::map<std::string, uint64_t> connects;
  for (const auto& j : json_lines(traced.out))
    if (j.value("old", "") == "CLOSE" && j.value("new", "") == "SYN_SENT") ++connects[j.at("name").get<std::string>()];
  EXPECT_EQ(connects[a.name()], static_cast<uint64_t>(a_opens)) << traced.out.substr(0, 2000);
  EXPECT_EQ(connects[b.name()], static_cast<uint64_t>(b_opens));
}

// The events of a trace line that both a live trace and a replay show the same way.
std::multiset<std::string> event_keys(const std::string& out) {
  std::multiset<std::string> keys;
  for (const auto& j : json_lines(out))
    keys.insert(j.at("kind").get<std::string>() + " " + j.value("old", "") + "->" + j.value("new", "") + " " +
                j.at("local").get<std::string>() + " " + j.at("remote").get<std::string>());
  return keys;
}

TEST(RecordReplay, TraceReplayHoldsEveryEventLiveTraceShowed) {
  TS_REQUIRE_ROOT_OR_SKIP();
  ScratchDir dir;
  const std::string path = dir.file("trace.tsr");
  Netns ns("rec-trace");
  const KernelCounters before = ns.kernel_counters();
  auto rec = start_recording(ns, path);
  Child live({tcpsight_binary(), "trace", "--json"}, ns.inside());
  ASSERT_TRUE(live.wait_for_line(Child::Stream::err, "tracing", 20s)) << live.err();
  size_t made = 0;
  for (int k = 0; k < 5; ++k) made += burst(ns, k);
  const KernelCounters after = ns.kernel_counters();
  const int64_t opens = after.at("Tcp.ActiveOpens") - before.at("Tcp.ActiveOpens");
  ASSERT_EQ(opens, static_cast<int64_t>(made));
  // Every connect is in live trace's output before both stop; then a second more, so that the
  // closes after it are out too (events wait up to 0.5 s for an owner scan, the ring is read
  // every 0.1 s).
  const auto connects_live = [&] {
    size_t n = 0;
    for (const auto& j : json_lines(live.out())) n += j.value("old", "") == "CLOSE" && j.value("new", "") == "SYN_SENT";
    return n;
  };
  ASSERT_TRUE(wait_until([&] { return connects_live() == made; }, 20s)) << live.out();
  std::this_thread::sleep_for(1s);
  stop(live, "live trace");
  stop(*rec, "record");

  const CommandResult replayed = run_command({tcpsight_binary(), "trace", "-r", path, "--json"});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  const auto live_keys = event_keys(live.out()), replay_keys = event_keys(replayed.out);
  report_figure("events live", static_cast<double>(live_keys.size()));
  report_figure("events replayed", static_cast<double>(replay_keys.size()));
  std::vector<std::string> only_live, only_replay;
  std::ranges::set_difference(live_keys, replay_keys, std::back_inserter(only_live));
  std::ranges::set_difference(replay_keys, live_keys, std::back_inserter(only_replay));
  EXPECT_TRUE(only_live.empty() && only_replay.empty())
      << "only live: " << testing::PrintToString(only_live) << "\nonly replayed: " << testing::PrintToString(only_replay);
  size_t connects = 0, named = 0;
  for (const auto& j : json_lines(replayed.out))
    if (j.value("old", "") == "CLOSE" && j.value("new", "") == "SYN_SENT") {
      ++connects;
      named += j.at("pid").is_number() && j.at("pid").get<int>() == getpid();
    }
  EXPECT_EQ(connects, static_cast<size_t>(opens)) << "CLOSE->SYN_SENT against Tcp.ActiveOpens";
  EXPECT_EQ(named, connects) << "each connect names the test process, which made it";
  // The same filters as live trace.
  const CommandResult filtered =
      run_command({tcpsight_binary(), "trace", "-r", path, "--json", "--state", "SYN_SENT"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  size_t syn_sent = 0;
  for (const auto& j : json_lines(filtered.out)) syn_sent += j.value("old", "") == "SYN_SENT" || j.value("new", "") == "SYN_SENT";
  EXPECT_EQ(syn_sent, json_lines(filtered.out).size());
  EXPECT_EQ(syn_sent, 2 * made) << "each connection enters and leaves SYN_SENT once";
}

std::vector<char> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_all(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Offsets of the file's chunks (docs/recording-format.md: a 16-byte file header, then chunks of
// an 8-byte prefix whose first u32 is the compressed length).
std::vector<size_t> chunk_offsets(const std::vector<char>& bytes) {
  std::vector<size_t> out;
  for (size_t at = 16; at + 8 <= bytes.size();) {
    out.push_back(at);
    uint32_t stored = 0;
    std::memcpy(&stored, bytes.data() + at, 4);
    at += 8 + stored;
  }
  return out;
}

TEST(RecordReplay, ACutOrDamagedFileReplaysWhatIsIntactAndSaysSo) {
  TS_REQUIRE_ROOT_OR_SKIP();
  ScratchDir dir;
  const std::string path = dir.file("whole.tsr");
  Netns ns("rec-damage");
  auto rec = start_recording(ns, path);
  // Chunks are sealed every second: four seconds of bursts make several.
  const auto until = std::chrono::steady_clock::now() + 4s;
  for (int k = 0; std::chrono::steady_clock::now() < until; ++k) burst(ns, k);
  stop(*rec, "record");
  const CommandResult whole = run_command({tcpsight_binary(), "trace", "-r", path, "--json"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const size_t all = json_lines(whole.out).size();
  const CommandResult whole_stats = run_command({tcpsight_binary(), "stats", "-r", path, "--json", "--interval", "1"});
  ASSERT_EQ(whole_stats.exit_code, 0) << whole_stats.err;
  const auto bytes = read_all(path);
  const auto chunks = chunk_offsets(bytes);
  ASSERT_GE(chunks.size(), 4u) << "a recording of 4 s has a chunk per second";

  // Cut inside its third chunk: what the first two hold replays, and the error says where.
  std::vector<char> cut(bytes.begin(), bytes.begin() + static_cast<long>(chunks[2] + 20));
  write_all(dir.file("cut.tsr"), cut);
  const CommandResult from_cut = run_command({tcpsight_binary(), "trace", "-r", dir.file("cut.tsr"), "--json"});
  EXPECT_EQ(from_cut.exit_code, 1) << from_cut.err;
  EXPECT_NE(from_cut.err.find("truncated"), std::string::npos) << from_cut.err;
  const size_t cut_events = json_lines(from_cut.out).size();
  EXPECT_GT(cut_events, 0u);
  EXPECT_LT(cut_events, all);

  // One byte changed inside the second chunk: that chunk is skipped, the ones after it replay, and
  // the counters (running totals) are whole again at the end.
  std::vector<char> damaged = bytes;
  damaged[chunks[1] + 8 + (chunks[2] - chunks[1] - 8) / 2] ^= 0x5a;
  write_all(dir.file("damaged.tsr"), damaged);
  const CommandResult from_damaged = run_command({tcpsight_binary(), "trace", "-r", dir.file("damaged.tsr"), "--json"});
  EXPECT_EQ(from_damaged.exit_code, 1);
  EXPECT_NE(from_damaged.err.find("damaged chunk skipped"), std::string::npos) << from_damaged.err;
  const size_t damaged_events = json_lines(from_damaged.out).size();
  EXPECT_LT(damaged_events, all);
  EXPECT_GT(damaged_events, cut_events) << "the chunks after the damaged one replay";
  const CommandResult damaged_stats =
      run_command({tcpsight_binary(), "stats", "-r", dir.file("damaged.tsr"), "--json", "--interval", "1"});
  EXPECT_EQ(damaged_stats.exit_code, 1);
  const auto w = json_lines(whole_stats.out), d = json_lines(damaged_stats.out);
  ASSERT_FALSE(w.empty());
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(transitions_of(d.back()), transitions_of(w.back()));

  // What is no recording at all.
  write_all(dir.file("text.tsr"), {'h', 'e', 'l', 'l', 'o', '\n'});
  const CommandResult text = run_command({tcpsight_binary(), "stats", "-r", dir.file("text.tsr")});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.err.find("not a tcpsight recording"), std::string::npos) << text.err;
  const CommandResult missing = run_command({tcpsight_binary(), "trace", "-r", dir.file("none.tsr")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << missing.err;
}

TEST(RecordReplay, SizeAndRotateKeepAtMostThatManyFilesEachReplayableAlone) {
  TS_REQUIRE_ROOT_OR_SKIP();
  ScratchDir dir;
  const std::string path = dir.file("ring.tsr");
  Netns ns("rec-rotate");
  const KernelCounters before = ns.kernel_counters();
  auto rec = start_recording(ns, path, {"--size", "0.02", "--rotate", "3"});
  size_t made = 0;
  for (int k = 0; k < 60; ++k) made += burst(ns, k);
  // At about 11 bytes an event, 1200 connections are several 20 kB files; the recorder seals a
  // chunk every second, so wait for the files to turn over.
  ASSERT_TRUE(wait_until([&] { return fs::exists(path + ".2"); }, 20s));
  std::this_thread::sleep_for(1500ms);
  stop(*rec, "record");
  const KernelCounters after = ns.kernel_counters();
  EXPECT_FALSE(fs::exists(path + ".3")) << "--rotate 3 keeps FILE, FILE.1 and FILE.2";
  uint64_t newest_opens = 0;
  double newest = 0;  // the last report's time: the newest file has the latest
  std::string seen;  // each file's last CLOSE->SYN_SENT, for a failure's message
  for (const std::string& f : {path, path + ".1", path + ".2"}) {
    SCOPED_TRACE(f);
    // A file may pass --size by one chunk, which compresses 256 KiB of blocks: far under 64 kB here.
    EXPECT_LE(fs::file_size(f), 20000u + 65536u);
    const CommandResult r = run_command({tcpsight_binary(), "stats", "-r", f, "--json", "--interval", "0.5"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto reports = json_lines(r.out);
    ASSERT_FALSE(reports.empty());
    seen += f + ": " + std::to_string(transition_count(reports.back(), "CLOSE", "SYN_SENT")) + " at " +
            std::to_string(reports.back().at("time").get<double>()) + "\n";
    if (const double at = reports.back().at("time").get<double>(); at > newest) {
      newest = at;
      newest_opens = transition_count(reports.back(), "CLOSE", "SYN_SENT");
    }
  }
  // The counters run from the start of the recording: the last file's last reading counts every
  // connection the kernel saw opened.
  EXPECT_EQ(static_cast<int64_t>(newest_opens), after.at("Tcp.ActiveOpens") - before.at("Tcp.ActiveOpens")) << seen;
  EXPECT_EQ(newest_opens, made);
}

// The per-namespace blocks of --netns across a rotation: each file starts with the namespace, its
// counters and its snapshot, so each replays per namespace from its first report.
TEST(RecordReplay, OneNamespaceByNameRotatesIntoFilesThatEachReportItAlone) {
  TS_REQUIRE_ROOT_OR_SKIP();
  ScratchDir dir;
  const std::string path = dir.file("one.tsr");
  Netns ns("rec-one");
  const KernelCounters before = ns.kernel_counters();
  Child rec({tcpsight_binary(), "record", "--netns", ns.name(), "-w", path, "--size", "0.02", "--rotate", "3"});
  ASSERT_TRUE(rec.wait_for_line(Child::Stream::err, "recording TCP", 20s)) << rec.err();
  size_t made = 0;
  for (int k = 0; k < 60; ++k) made += burst(ns, k);
  ASSERT_TRUE(wait_until([&] { return fs::exists(path + ".2"); }, 20s));
  std::this_thread::sleep_for(1500ms);  // as above: a chunk is sealed every second
  stop(rec, "record --netns");
  const KernelCounters after = ns.kernel_counters();
  uint64_t newest_opens = 0;
  double newest = 0;
  for (const std::string& f : {path, path + ".1", path + ".2"}) {
    SCOPED_TRACE(f);
    const CommandResult r = run_command({tcpsight_binary(), "stats", "-r", f, "--json", "--interval", "0.5"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto rounds = namespace_rounds(r.out);
    ASSERT_FALSE(rounds.empty()) << r.out;
    for (const NamespaceRound& round : rounds) {
      ASSERT_EQ(round.by_name.size(), 1u) << "only the namespace named: " << r.out;
      ASSERT_EQ(round.by_name.begin()->first, ns.name());
    }
    const nlohmann::json& last = rounds.back().by_name.begin()->second;
    if (rounds.back().time > newest) {
      newest = rounds.back().time;
      newest_opens = transition_count(last, "CLOSE", "SYN_SENT");
    }
  }
  EXPECT_EQ(static_cast<int64_t>(newest_opens), after.at("Tcp.ActiveOpens") - before.at("Tcp.ActiveOpens"));
  EXPECT_EQ(newest_opens, made);
}

TEST(RecordCli, BadInputIsAUsageErrorOrAClearFailure) {
  TS_REQUIRE_ROOT_OR_SKIP();
  const auto run = [](std::vector<std::string> args) {
    args.insert(args.begin(), tcpsight_binary());
    return run_command(args);
  };
  EXPECT_EQ(run({"record"}).exit_code, 2) << "no -w";
  EXPECT_EQ(run({"record", "-w", "/tmp/x.tsr", "--rotate", "3"}).exit_code, 2) << "--rotate needs --size";
  for (const char* size : {"-1", "nan", "1e99", "0"})
    EXPECT_EQ(run({"record", "-w", "/tmp/x.tsr", "--size", size}).exit_code, 2) << size;
  EXPECT_EQ(run({"stats", "--from", "+3"}).exit_code, 2) << "--from needs -r";
  EXPECT_EQ(run({"stats", "-r", "/tmp/x.tsr", "--from", "yesterday"}).exit_code, 2);
  const CommandResult unwritable = run({"record", "-w", "/nonexistent-dir/x.tsr", "--duration", "1"});
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_NE(unwritable.err.find("cannot create /nonexistent-dir/x.tsr"), std::string::npos) << unwritable.err;
}

}  // namespace
}  // namespace tcpsight::itest
