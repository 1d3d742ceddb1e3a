// A recording played forward in time: what the kernel's counters, the last snapshot, the kernel's
// own counters and the last owner scan were at any moment of it, and the events up to it. The
// front ends' replay sources (stats -r, trace -r, top -r) read it as they read the kernel live.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "record/block_decode.hpp"
#include "record/recording_reader.hpp"

namespace tcpsight::recording {

// What the HEADER block says.
struct RecordingInfo {
  nlohmann::json header;  // the whole block, for what a front end reads by name
  std::string hostname, kernel_release, tcpsight_version, boot_id, netns_name;
  uint32_t netns = 0;                     // the namespace recorded; 0: every one
  // "namespaces" in the header: "all" (record -A), "one" (--netns) or "" (the recorder's own; no
  // per-namespace blocks). With one of the first two, replays report per namespace.
  std::string namespaces;
  double realtime_minus_monotonic_s = 0;  // wall time = monotonic + this, at recording time
  uint64_t start_ns = 0;                  // CLOCK_MONOTONIC when recording began
  std::vector<std::string> reset_reasons; // the recording kernel's enum sk_rst_reason names
  double wall_seconds(uint64_t mono_ns) const { return static_cast<double>(mono_ns) / 1e9 + realtime_minus_monotonic_s; }
};

struct ReplayState {
  bool has_counters = false;
  CountersReading counters;
  uint64_t counters_ns = 0;
  bool has_snapshot = false;
  std::vector<ts_sock_record> sockets;
  uint64_t snapshot_ns = 0;       // when the pass finished
  uint64_t snapshot_seq = 0;      // +1 per snapshot applied
  bool has_kernel = false;
  KernelReading kernel;
  std::vector<ts_owner_record> owners;
  uint64_t owners_started_ns = 0, owners_ns = 0;
  uint64_t owners_seq = 0;
  LossPayload loss;
  std::optional<nlohmann::json> end;  // the END block, once reached

  // A recording of every namespace (record -A) or of one named (--netns): each namespace's latest.
  bool has_namespaces = false;
  NamespacesReading namespaces;      // the last refresh: which namespaces, their /proc counters
  uint64_t namespaces_ns = 0;        // when it was taken
  std::map<uint32_t, std::vector<ts_sock_record>> netns_sockets;  // each one's last snapshot
  std::map<uint32_t, uint64_t> netns_snapshot_seq;                // +1 per snapshot of each
  std::vector<NetnsCountersRecord> netns_counters;                // the last reading of them all
};

class Replay {
 public:
  using EventSink = std::function<void(const ts_event&, uint64_t block_ns)>;
  using ScanSink = std::function<void(const ReplayState&)>;

  // Opens the file and reads its HEADER block. Throws UserError when it is no recording, is from a
  // format too new, or lacks a header.
  explicit Replay(std::string path);
  // The same over bytes in memory (the fuzz target); `name` is used in messages.
  Replay(std::span<const uint8_t> bytes, std::string name);

  const RecordingInfo& info() const { return info_; }
  const ReplayState& state() const { return state_; }
  // Applies every block written up to `t_ns` (CLOCK_MONOTONIC of the recording): events go to
  // `on_event` and owner scans to `on_scan`, in the order recorded. False once every block is applied.
  bool advance_to(uint64_t t_ns, const EventSink& on_event = {}, const ScanSink& on_scan = {});
  // Time of the next block not yet applied; nullopt at the end.
  std::optional<uint64_t> next_ns();
  // Time of the last block applied.
  uint64_t now_ns() const { return now_ns_; }
  uint64_t events_replayed() const { return events_; }
  // From the start again (top -r seeking back).
  void rewind();
  const RecordingReader& reader() const { return *reader_; }

 private:
  void open();
  void apply(const Block& b, const EventSink& on_event, const ScanSink& on_scan);

  std::string path_;
  std::span<const uint8_t> bytes_;
  bool in_memory_ = false;
  std::unique_ptr<RecordingReader> reader_;
  std::optional<Block> pending_;
  RecordingInfo info_;
  ReplayState state_;
  std::vector<ts_event> events_buffer_;
  uint64_t now_ns_ = 0;
  uint64_t events_ = 0;
};

// A one-line account of what a replay could not read ("" when nothing): for stderr at the end.
std::string damage_summary(const RecordingReader& reader);

}  // namespace tcpsight::recording
