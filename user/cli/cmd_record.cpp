// `tcpsight record -w FILE`: the host's TCP life into a file that trace, stats and top replay with
// -r. Each loop drains the ring buffer into an events block; counters are read every 0.1 s, the
// sockets (paced as stats paces them), the kernel's own counters and, when an event lacked its
// owner, an owner scan every second. A writer thread compresses and writes (record/).
//
// With -A (every namespace) or --netns, the sockets and /proc counters are those of each namespace,
// read inside it on a thread of their own, and the exact counters are kept per namespace too: the
// replays then report per namespace as stats -A does.
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/event_filter_options.hpp"
#include "cli/kernel_summary.hpp"
#include "cli/namespace_option.hpp"
#include "cli/number_option.hpp"
#include "cli/signals.hpp"
#include "cli/snapshot_option.hpp"
#include "core/event_filter.hpp"
#include "core/owner_scan_pacer.hpp"
#include "core/tcp_state.hpp"
#include "kernel/background_namespaces.hpp"
#include "kernel/clock.hpp"
#include "kernel/background_snapshots.hpp"
#include "kernel/kernel_counters.hpp"
#include "kernel/kernel_facts.hpp"
#include "kernel/netns.hpp"
#include "kernel/prerequisites.hpp"
#include "kernel/privileges.hpp"
#include "kernel/socket_owners.hpp"
#include "kernel/sysctls.hpp"
#include "kernel/tracer.hpp"
#include "record/block_builder.hpp"
#include "record/block_decode.hpp"
#include "record/recording_writer.hpp"
#include "top/system_info.hpp"

namespace tcpsight {

namespace {

using namespace recording;

// How often the counters are read: stats -r's intervals start and end on a reading, so this is
// the precision of their bounds.
constexpr double kCounterReadingSeconds = 0.1;
// How often a snapshot, the kernel's counters and (when wanted) an owner scan are taken.
constexpr double kSocketReadingSeconds = 1.0;
// A chunk is sealed at least this often, so a recording killed loses at most this much.
constexpr double kChunkSeconds = 1.0;

struct RecordOptions {
  std::string path;
  double duration_s = 0;
  double size_mb = 0;   // 0: one file
  uint32_t rotate = 0;  // 0: no limit on the number of files
  double snapshot_share = kSnapshotCpuShare;
  EventFilterOptions event_filter;  // --port, --addr, --state
  NamespaceChoice namespaces;       // -A, --netns

  EventFilter filter() const { return event_filter.filter(); }
};

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

class Recorder {
 public:
  // `netns`: the namespace recorded; 0 with -A.
  Recorder(const RecordOptions& options, uint32_t netns)
      : options_(options),
        netns_(netns),
        per_namespace_(options.namespaces.chosen()),
        writer_({.path = options.path, .max_files = options.rotate}),
        // Per-socket storage costs about 500 ns a state change, so it is kept only where events
        // need it: before 6.15 LISTEN->SYN_RECV fires while the child still has its listener's
        // tuple, and only the storage lets the record carry the child's (bpf/tcpstates.bpf.c).
        tracer_({.netns = netns, .stream_kinds = TS_STREAM_ALL,
                 .track_sockets = !kernel_facts().child_tuple_at_syn_recv,
                 .netns_slots = per_namespace_ ? kNamespaceCounterSlots : 0,
                 .filter = kernel_stream_filter(options.filter())}),
        owners_(netns),
        host_(read_host_info(netns)) {
    if (per_namespace_)
      namespaces_.emplace(options.namespaces.one, monotonic_seconds, options.snapshot_share);
    else
      snapshots_.emplace(monotonic_seconds, options.snapshot_share);
  }

  int run() {
    // Loaded and attached: maps, iterator links and the open file are all it needs from here on,
    // and, per namespace, what entering them needs (as stats -A). Rotation creates its next files
    // as root without CAP_DAC_OVERRIDE: in a directory root owns.
    drop_privileges({.keep = per_namespace_ ? namespace_entry_capabilities() : std::vector<int>{}, .user = std::nullopt});
    if (snapshots_) snapshots_->start(kSocketReadingSeconds);
    if (namespaces_) namespaces_->start(kSocketReadingSeconds);
    if (options_.namespaces.all)
      std::fprintf(stderr, "tcpsight: recording TCP in every network namespace to %s; Ctrl-C to end\n",
                   options_.path.c_str());
    else
      std::fprintf(stderr, "tcpsight: recording TCP in network namespace %u to %s; Ctrl-C to end\n", netns_,
                   options_.path.c_str());
    const uint64_t start = clock_ns(CLOCK_MONOTONIC);
    start_file(start, 0);
    const uint64_t deadline = options_.duration_s > 0 ? start + static_cast<uint64_t>(options_.duration_s * 1e9) : 0;
    uint64_t next_counters = start + kCounterNs, next_sockets = start + kSocketNs;
    std::string why = "signal";
    for (;;) {
      const uint64_t before = clock_ns(CLOCK_MONOTONIC);
      bool last = stop_requested() || writer_.error();
      if (deadline && before >= deadline) {
        last = true;
        why = "duration";
      }
      if (writer_.error()) why = "write error";
      const int wait_ms = last ? 0 : static_cast<int>(std::min<uint64_t>(next_counters > before ? next_counters - before : 0, 50'000'000) / 1'000'000);
      const size_t had = events_.size();
      tracer_.poll(wait_ms, events_, last);
      if (!owner_wanted_)
        owner_wanted_ = std::any_of(events_.begin() + static_cast<std::ptrdiff_t>(had), events_.end(),
                                    [](const ts_event& e) { return !(e.flags & TS_F_OWNER_KNOWN); });
      const uint64_t now = clock_ns(CLOCK_MONOTONIC);
      add_events(now);
      if (now >= next_counters || last) {
        add_counters(now);
        if (per_namespace_) add_netns_counters(now);
        next_counters = std::max(next_counters + kCounterNs, now);
      }
      if (per_namespace_)
        add_namespaces_if_new(now);
      else
        add_snapshot_if_new(now);
      if (now >= next_sockets || last) {
        add_kernel_counters(now);
        next_sockets = std::max(next_sockets + kSocketNs, now);
      }
      if (owner_wanted_ && owner_pacer_.due(static_cast<double>(now) / 1e9)) add_owners();
      if (builder_.size() >= kMaxChunkBytes || now - chunk_started_ >= kChunkNs) seal(now);
      if (last) {
        builder_.add(BlockType::end, now, {nlohmann::json{{"reason", why}}.dump()});
        seal(now);
        break;
      }
      if (options_.size_mb > 0 && static_cast<double>(writer_.file_bytes()) >= options_.size_mb * 1e6) rotate(now);
    }
    writer_.finish();  // throws UserError (exit 1) on a write error
    const double per_event =
        events_written_ ? static_cast<double>(writer_.stored_bytes()) / static_cast<double>(events_written_) : 0;
    std::fprintf(stderr,
                 "tcpsight: recorded %llu events, %llu snapshots and %llu counter readings in %llu file(s): %llu "
                 "bytes (%llu uncompressed), %.1f bytes per event; lost: %llu (ring buffer full), %llu (missed by "
                 "the kernel), %llu (not written in time)\n",
                 ull(events_written_), ull(snapshots_written_), ull(readings_), ull(writer_.files_started()),
                 ull(writer_.stored_bytes()), ull(writer_.raw_bytes()), per_event, ull(loss_.ring_lost),
                 ull(loss_.kernel_missed), ull(loss_.writer_dropped));
    return 0;
  }

 private:
  static constexpr uint64_t kCounterNs = static_cast<uint64_t>(kCounterReadingSeconds * 1e9);
  static constexpr uint64_t kSocketNs = static_cast<uint64_t>(kSocketReadingSeconds * 1e9);
  static constexpr uint64_t kChunkNs = static_cast<uint64_t>(kChunkSeconds * 1e9);
  static unsigned long long ull(uint64_t v) { return v; }

  nlohmann::json header(uint64_t mono_ns, uint32_t file_index) const {
    const uint64_t real = clock_ns(CLOCK_REALTIME), mono = clock_ns(CLOCK_MONOTONIC);
    const RecordOptions& o = options_;
    nlohmann::json filters = {{"ports", o.event_filter.ports}, {"addr", o.event_filter.addr}, {"states", o.event_filter.states}};
    return {{"format", kFormatVersion},
            {"tcpsight_version", "0.1.0"},
            {"hostname", host_.hostname},
            {"kernel_release", host_.kernel},
            {"boot_id", boot_id()},
            {"netns", netns_},
            {"netns_name", options_.namespaces.all ? "" : host_.netns},
            {"namespaces", options_.namespaces.all ? "all" : per_namespace_ ? "one" : ""},
            {"file_index", file_index},
            {"recorder_pid", static_cast<uint32_t>(getpid())},
            {"clock",
             {{"monotonic_ns", mono},
              {"realtime_ns", real},
              {"realtime_minus_monotonic_s", (static_cast<double>(real) - static_cast<double>(mono)) / 1e9}}},
            {"started_ns", mono_ns},
            {"kernel", kernel_summary()},
            {"reset_reasons", tracepoint_facts().reset_reasons},
            {"filters", filters},
            {"counter_interval_s", kCounterReadingSeconds},
            {"socket_interval_s", kSocketReadingSeconds}};
  }

  // Each file starts with what a replay needs to stand on its own: the header, the counters and
  // the last snapshot.
  void start_file(uint64_t now, uint32_t index) {
    builder_.add(BlockType::header, now, {header(now, index).dump()});
    add_counters(now);
    if (per_namespace_) {
      netns_counters_written_.clear();  // the file is new: all of them again
      add_netns_counters(now);
      add_namespaces_if_new(now, /*whole=*/true);
    } else if (!add_snapshot_if_new(now)) {
      add_snapshot(now);  // the last one again, as the file is new
    }
    add_kernel_counters(now);
    chunk_started_ = now;
  }

  void add_events(uint64_t now) {
    if (events_.empty()) return;
    builder_.add_events(now, netns_, events_);
    events_in_chunk_ += events_.size();
    events_.clear();
  }

  void add_counters(uint64_t now) {
    const ts_counters c = tracer_.read_counters();
    const CountersPrefix p{.size = sizeof c, .missed = tracer_.missed_events()};
    builder_.add(BlockType::counters, now, {bytes_of(p), bytes_of(c)});
    ++readings_;
    const LossPayload loss{.ring_lost = c.events_lost, .kernel_missed = p.missed, .writer_dropped = dropped_};
    if (loss.ring_lost != loss_.ring_lost || loss.kernel_missed != loss_.kernel_missed ||
        loss.writer_dropped != loss_.writer_dropped) {
      loss_ = loss;
      builder_.add(BlockType::loss, now, {bytes_of(loss_)});
    }
  }

  // Every namespace's exact counters, when any changed since the file last had them (a replay
  // keeps the last reading).
  void add_netns_counters(uint64_t now) {
    std::vector<NetnsCountersRecord> all;
    for (const NetnsCounters& n : tracer_.read_netns_counters()) all.push_back({.netns = n.inode, .counters = n.counters});
    std::ranges::sort(all, {}, &NetnsCountersRecord::netns);
    if (all.size() == netns_counters_written_.size() &&
        std::equal(all.begin(), all.end(), netns_counters_written_.begin(), [](const auto& a, const auto& b) {
          return std::memcmp(&a, &b, sizeof a) == 0;
        }))
      return;
    const ArrayPrefix p{.size = sizeof(NetnsCountersRecord), .count = static_cast<uint32_t>(all.size())};
    builder_.add(BlockType::netns_counters, now, {bytes_of(p), bytes_of(std::span<const NetnsCountersRecord>(all))});
    netns_counters_written_ = std::move(all);
  }

  // The namespace thread's newest refresh: its fresh snapshots, then the namespaces it found.
  // `whole` (a new file): every namespace's last snapshot and the last refresh, new or not.
  bool add_namespaces_if_new(uint64_t now, bool whole = false) {
    NamespaceRefresh r;
    const bool fresh = namespaces_->take(r);
    std::vector<uint32_t> snapshotted;
    if (fresh) {
      // Namespaces gone for a whole refresh are dropped, and their counters forgotten (the kernel
      // may give the inode to a new namespace), as live stats -A does.
      std::vector<std::pair<uint32_t, ts_netns_counters>> counters;
      for (const NetnsCounters& n : tracer_.read_netns_counters()) counters.emplace_back(n.inode, n.counters);
      for (uint32_t inode : table_.refresh(r.sightings, counters, static_cast<double>(now) / 1e9))
        tracer_.forget_netns(inode);
      for (auto& [inode, records] : r.snapshots) {
        const auto finished = static_cast<uint64_t>(r.snapshot_finished_s[inode] * 1e9);
        netns_snapshots_[inode] = {std::min(now, finished), std::move(records)};
        snapshotted.push_back(inode);
      }
      std::erase_if(netns_snapshots_, [&](const auto& kv) {
        return std::ranges::none_of(r.sightings, [&](const NamespaceSighting& s) { return s.id.inode == kv.first; });
      });
      refresh_ = std::move(r);
      namespaces_ns_ = std::min(now, static_cast<uint64_t>(refresh_.finished_s * 1e9));
    }
    if ((!fresh && !whole) || !namespaces_ns_) return false;  // nothing new, or no refresh yet
    if (whole) {
      snapshotted.clear();
      for (const auto& kv : netns_snapshots_) snapshotted.push_back(kv.first);
    }
    for (uint32_t inode : snapshotted)
      if (netns_snapshots_.count(inode)) add_netns_snapshot(now, inode);
    builder_.add(BlockType::namespaces, namespaces_ns_, {encode_namespaces(refresh_.sightings, refresh_.watch)});
    return true;
  }

  void add_netns_snapshot(uint64_t now, uint32_t inode) {
    const auto& [finished_ns, records] = netns_snapshots_.at(inode);
    if (builder_.size() + records.size() * sizeof(ts_sock_record) > kMaxChunkBytes) seal(now);  // a big one alone
    const ArrayPrefix p{.netns = inode, .size = sizeof(ts_sock_record), .count = static_cast<uint32_t>(records.size()),
                        .started_ns = finished_ns};
    builder_.add(BlockType::netns_snapshot, finished_ns,
                 {bytes_of(p), bytes_of(std::span<const ts_sock_record>(records))});
    ++snapshots_written_;
  }

  // The snapshot thread's newest snapshot, when it has one the file does not.
  bool add_snapshot_if_new(uint64_t now) {
    double finished_s = 0;
    if (!snapshots_->take(snapshot_, finished_s)) return false;
    snapshot_ns_ = std::min(now, static_cast<uint64_t>(finished_s * 1e9));
    add_snapshot(now);
    return true;
  }

  void add_snapshot(uint64_t now) {
    if (builder_.size() + snapshot_.size() * sizeof(ts_sock_record) > kMaxChunkBytes) seal(now);  // a big one alone
    const ArrayPrefix p{.netns = netns_, .size = sizeof(ts_sock_record),
                        .count = static_cast<uint32_t>(snapshot_.size()), .started_ns = snapshot_ns_};
    builder_.add(BlockType::snapshot, snapshot_ns_, {bytes_of(p), bytes_of(std::span<const ts_sock_record>(snapshot_))});
    ++snapshots_written_;
  }

  void add_kernel_counters(uint64_t now) {
    builder_.add(BlockType::kernel_counters, now, {encode_kernel_counters(read_kernel_counters(), read_local_port_range())});
  }

  // Who holds the sockets, for the events that could not say (trace -r names them as trace does).
  void add_owners() {
    const uint64_t started = clock_ns(CLOCK_MONOTONIC);
    owners_.take(owner_records_);
    const uint64_t finished = clock_ns(CLOCK_MONOTONIC);
    owner_pacer_.taken(static_cast<double>(started) / 1e9, static_cast<double>(finished) / 1e9);
    const ArrayPrefix p{.size = sizeof(ts_owner_record), .count = static_cast<uint32_t>(owner_records_.size()),
                        .started_ns = started};
    builder_.add(BlockType::owners, finished, {bytes_of(p), bytes_of(std::span<const ts_owner_record>(owner_records_))});
    owner_wanted_ = false;
  }

  void seal(uint64_t now) {
    chunk_started_ = now;
    if (builder_.empty()) return;
    if (writer_.submit(builder_.take())) {
      events_written_ += events_in_chunk_;
    } else {
      dropped_ += events_in_chunk_;  // the disk does not keep up: counted, and said in the next loss block
    }
    events_in_chunk_ = 0;
  }

  void rotate(uint64_t now) {
    const auto next = static_cast<uint32_t>(writer_.files_started() % (options_.rotate ? options_.rotate : UINT32_MAX));
    builder_.add(BlockType::end, now,
                 {nlohmann::json{{"reason", "size"}, {"next_file", rotation_file_name(options_.path, next)}}.dump()});
    seal(now);
    writer_.next_file();
    start_file(now, next);
  }

  const RecordOptions& options_;
  uint32_t netns_;
  bool per_namespace_;  // -A or --netns
  RecordingWriter writer_;
  Tracer tracer_;
  // Each a thread of its own: a long walk never stalls the ring buffer. One or the other.
  std::optional<BackgroundSnapshots> snapshots_;    // tcpsight's own namespace
  std::optional<BackgroundNamespaces> namespaces_;  // -A, --netns
  NamespaceTable table_;                            // which namespaces are gone, as stats -A tells
  NamespaceRefresh refresh_;                        // the last refresh written (its snapshots moved out)
  uint64_t namespaces_ns_ = 0;
  std::map<uint32_t, std::pair<uint64_t, std::vector<ts_sock_record>>> netns_snapshots_;  // the last of each
  std::vector<NetnsCountersRecord> netns_counters_written_;  // the last written to this file
  std::vector<ts_sock_record> snapshot_;  // the newest snapshot, written again at each new file
  uint64_t snapshot_ns_ = 0;              // CLOCK_MONOTONIC when it finished
  SocketOwners owners_;
  HostInfo host_;
  OwnerScanPacer owner_pacer_;  // as live trace paces its scans
  BlockBuilder builder_;
  std::vector<ts_event> events_;
  std::vector<ts_owner_record> owner_records_;
  bool owner_wanted_ = false;
  uint64_t chunk_started_ = 0;
  uint64_t events_in_chunk_ = 0, events_written_ = 0, dropped_ = 0;
  uint64_t snapshots_written_ = 0, readings_ = 0;
  LossPayload loss_{};
};

int run_record(const RecordOptions& options) {
  check_bpf_prerequisites();
  if (options.namespaces.chosen()) check_namespace_prerequisites(options.namespaces.option());
  const NamespaceChoice& ns = options.namespaces;
  Recorder recorder(options, ns.all ? 0 : ns.one ? ns.one->inode : current_netns_inode());
  return recorder.run();
}

}  // namespace

Command add_record_command(CLI::App& parent) {
  auto o = std::make_shared<RecordOptions>();
  CLI::App* cmd = parent.add_subcommand("record", "write the host's TCP states, counters and events to a file");
  cmd->add_option("-w,--write", o->path, "the file to write (created 0600; rotation adds FILE.1, FILE.2, ...)")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--duration", o->duration_s, "stop after this many seconds")
      ->transform(real_in(kMinDuration, kMaxDuration));
  CLI::Option* size =
      cmd->add_option("--size", o->size_mb,
                      "start the next file once this one holds this many megabytes (10^6 bytes, as tcpdump -C); "
                      "a file passes it by at most one chunk")
          ->type_name("MB")
          ->transform(real_in(0.01, 1e7));
  cmd->add_option("--rotate", o->rotate, "with --size: keep at most this many files, overwriting the oldest (tcpdump -W)")
      ->transform(whole_in(1, 100000))
      ->needs(size);
  add_snapshot_cpu_option(cmd, o->snapshot_share);
  add_namespace_options(cmd, o->namespaces);
  add_event_filter_options(cmd, o->event_filter, "counters and snapshots stay whole");
  cmd->footer(
      "Examples:\n  tcpsight record -w /var/tmp/tcp.tsr --duration 3600\n"
      "  tcpsight record -w /var/tmp/tcp.tsr --size 100 --rotate 10   (at most 10 files of about 100 MB)\n"
      "  tcpsight record -A -w /var/tmp/tcp.tsr   (every namespace; stats -r then reports each, as stats -A)\n"
      "Then, here or on another machine:\n  tcpsight stats -r /var/tmp/tcp.tsr --json --interval 10\n"
      "  tcpsight trace -r /var/tmp/tcp.tsr --port 443\n  tcpsight top -r /var/tmp/tcp.tsr\n"
      "The file keeps every event the ring buffer delivered, the exact counters every 0.1 s, a snapshot\n"
      "of the sockets about every second and what was lost; docs/recording-format.md describes it.");
  return {cmd, [o] { return run_record(*o); }};
}

}  // namespace tcpsight
