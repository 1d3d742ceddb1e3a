// Recordings written by RecordingWriter and read back by Replay: what goes in comes out at the
// time it was taken, and a file that is damaged, truncated, from another version of tcpsight or no
// recording at all is read as far as it can be and said to be so (docs/recording-format.md).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "record/block_builder.hpp"
#include "record/recording_format.hpp"
#include "record/recording_writer.hpp"
#include "record/replay.hpp"

namespace tcpsight::recording {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kStart = 5'000 * kMs;  // the recording's CLOCK_MONOTONIC at its first block

// A directory of its own under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/tcpsight-record-test-XXXXXX";
    if (!mkdtemp(name)) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Every byte of the record set from `seed`, so that a byte misplaced by the shuffle shows.
ts_event numbered_event(uint64_t ts_ns, uint8_t seed) {
  ts_event e{};
  auto* bytes = reinterpret_cast<uint8_t*>(&e);
  for (size_t i = 0; i < sizeof e; ++i) bytes[i] = static_cast<uint8_t>(seed + i * 7);
  e.ts_ns = ts_ns;
  return e;
}

std::vector<ts_event> numbered_events(uint64_t first_ns, size_t count, uint8_t seed) {
  std::vector<ts_event> events;
  for (size_t i = 0; i < count; ++i) events.push_back(numbered_event(first_ns + i * 1000, static_cast<uint8_t>(seed + i)));
  return events;
}

ts_counters counters_with(uint64_t opens) {
  ts_counters c{};
  c.transitions[TS_CLOSE][TS_SYN_SENT] = opens;
  c.resets_sent = opens / 2;
  c.events_filtered = opens + 1;  // the last field: a size mistake cuts it off
  return c;
}

ts_sock_record socket_on(uint16_t sport, uint8_t state) {
  ts_sock_record s{};
  s.saddr[0] = 127, s.saddr[3] = 1, s.daddr[0] = 127, s.daddr[3] = 1;
  s.sport = sport;
  s.dport = 8080;
  s.family = 2;
  s.state = state;
  s.syn_queue = 3, s.accept_queue = 4, s.max_backlog = 128, s.time_wait_remaining_ms = 59'000;
  return s;
}

ts_owner_record owner_of(uint64_t cookie, uint32_t tgid) {
  ts_owner_record o{};
  o.cookie = cookie;
  o.tgid = o.tid = tgid;
  o.fd = 3;
  std::memcpy(o.comm, "server", 6);
  return o;
}

void add_counters(BlockBuilder& b, uint64_t t, const ts_counters& c, uint64_t missed = 0) {
  const CountersPrefix p{.size = sizeof c, .missed = missed};
  b.add(BlockType::counters, t, {bytes_of(p), bytes_of(c)});
}

template <class Record>
void add_array(BlockBuilder& b, BlockType type, uint64_t t, const std::vector<Record>& records, uint32_t netns = 0) {
  const ArrayPrefix p{.netns = netns, .size = sizeof(Record), .count = static_cast<uint32_t>(records.size()), .started_ns = t};
  b.add(type, t, {bytes_of(p), bytes_of(std::span<const Record>(records))});
}

bool same_bytes(const auto& a, const auto& b) { return sizeof a == sizeof b && std::memcmp(&a, &b, sizeof a) == 0; }

// What the test recording holds, chunk by chunk, as a recorder would write it.
const std::vector<ts_sock_record> kSockets = {socket_on(8080, TS_LISTEN), socket_on(40000, TS_ESTABLISHED)};
const std::vector<ts_event> kFirstEvents = numbered_events(kStart + 50 * kMs, 3, 10);
const std::vector<ts_event> kLaterEvents = numbered_events(kStart + 900 * kMs, 40, 90);
const std::vector<ts_owner_record> kOwners = {owner_of(77, 100), owner_of(78, 200)};
constexpr LossPayload kLoss{.ring_lost = 4, .kernel_missed = 2, .writer_dropped = 1};

std::string first_chunk(uint32_t file_index = 0) {
  BlockBuilder b;
  b.add(BlockType::header, kStart, {R"({"hostname":"testhost","netns":4026531840,"file_index":)" +
                                    std::to_string(file_index) + "}"});
  add_counters(b, kStart, counters_with(1));
  add_array(b, BlockType::snapshot, kStart, kSockets, 4026531840);
  b.add(BlockType::kernel_counters, kStart, {"Tcp.ActiveOpens 12\nsysctl.ip_local_port_range 32768 60999\n"});
  return b.take();
}

std::string middle_chunk() {
  BlockBuilder b;
  b.add_events(kStart + 100 * kMs, 4026531840, kFirstEvents);
  add_counters(b, kStart + 100 * kMs, counters_with(2), 2);
  b.add(BlockType::loss, kStart + 100 * kMs, {bytes_of(kLoss)});
  return b.take();
}

std::string last_chunk(bool with_end = true) {
  BlockBuilder b;
  b.add_events(kStart + 1000 * kMs, 4026531840, kLaterEvents);
  add_array(b, BlockType::owners, kStart + 1000 * kMs, kOwners);
  add_counters(b, kStart + 1000 * kMs, counters_with(3));
  if (with_end) b.add(BlockType::end, kStart + 1000 * kMs, {R"({"reason":"duration"})"});
  return b.take();
}

// Writes `chunks` as one file of a RecordingWriter and returns its path.
std::string write_recording(const TempDir& dir, const std::vector<std::string>& chunks, const std::string& name = "rec.tsr") {
  const std::string path = dir.file(name);
  RecordingWriter writer({.path = path});
  for (const std::string& c : chunks) EXPECT_TRUE(writer.submit(c));
  writer.finish();
  return path;
}

std::string write_standard_recording(const TempDir& dir, bool with_end = true) {
  return write_recording(dir, {first_chunk(), middle_chunk(), last_chunk(with_end)});
}

// Where each chunk of a well-formed file starts.
std::vector<size_t> chunk_offsets(const std::vector<uint8_t>& file) {
  std::vector<size_t> offsets;
  for (size_t at = kFileHeaderSize; at + kChunkPrefixSize <= file.size();) {
    offsets.push_back(at);
    uint32_t stored;
    std::memcpy(&stored, file.data() + at, 4);
    at += kChunkPrefixSize + stored;
  }
  return offsets;
}

struct Replayed {
  std::vector<ts_event> events;
  uint64_t scans = 0;
};

Replayed replay_all(Replay& replay) {
  Replayed r;
  replay.advance_to(UINT64_MAX, [&](const ts_event& e, uint64_t) { r.events.push_back(e); },
                    [&](const ReplayState&) { ++r.scans; });
  return r;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(RecordEvents, AddEventsStoresAPrefixAndTheRecordsByteShuffled) {
  const std::vector<ts_event> events = numbered_events(kStart, 5, 1);
  BlockBuilder b;
  b.add_events(kStart + kMs, 4026531840, events);
  const std::string bytes = b.take();
  ASSERT_EQ(bytes.size(), kBlockHeaderSize + sizeof(ArrayPrefix) + 5 * sizeof(ts_event));
  EXPECT_TRUE(b.empty()) << "take() starts again";

  ArrayPrefix p;
  std::memcpy(&p, bytes.data() + kBlockHeaderSize, sizeof p);
  EXPECT_EQ(p.netns, 4026531840u);
  EXPECT_EQ(p.size, sizeof(ts_event));
  EXPECT_EQ(p.count, 5u);
  EXPECT_EQ(p.started_ns, kStart) << "the first record's time";

  const auto* shuffled = reinterpret_cast<const uint8_t*>(bytes.data() + kBlockHeaderSize + sizeof p);
  const auto* plain = reinterpret_cast<const uint8_t*>(events.data());
  EXPECT_EQ(shuffled[1], plain[sizeof(ts_event)]) << "byte 0 of record 1 is the second byte of the column";
  std::vector<ts_event> back(5);
  unshuffle_bytes(shuffled, reinterpret_cast<uint8_t*>(back.data()), 5, sizeof(ts_event));
  for (size_t i = 0; i < events.size(); ++i) EXPECT_TRUE(same_bytes(back[i], events[i])) << "record " << i;
}

TEST(RecordEvents, ShuffleLaysOutAColumnPerByteAndUnshuffleUndoesIt) {
  const uint8_t two_records[] = {1, 2, 3, 4, 5, 6};
  uint8_t columns[6];
  shuffle_bytes(two_records, columns, 2, 3);
  EXPECT_EQ(std::vector<uint8_t>(columns, columns + 6), (std::vector<uint8_t>{1, 4, 2, 5, 3, 6}));

  // Sizes and counts that share no factor, so that a row/column mix-up cannot pass.
  std::vector<uint8_t> in(7 * 13), mid(in.size()), out(in.size());
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i * 31 + 5);
  shuffle_bytes(in.data(), mid.data(), 7, 13);
  unshuffle_bytes(mid.data(), out.data(), 7, 13);
  EXPECT_EQ(out, in);

  // Counts around the 8-record groups the shuffle works in, with events' own size: every byte
  // where the definition puts it (byte b of record r at b * count + r), and back.
  for (const size_t count : {1u, 7u, 8u, 9u, 64u, 129u, 1000u}) {
    const size_t size = sizeof(ts_event);
    std::vector<uint8_t> rows(count * size), shuffled(rows.size()), again(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<uint8_t>(i * 131 + i / 251);
    shuffle_bytes(rows.data(), shuffled.data(), count, size);
    size_t misplaced = 0;
    for (size_t r = 0; r < count; ++r)
      for (size_t b = 0; b < size; ++b) misplaced += shuffled[b * count + r] != rows[r * size + b];
    EXPECT_EQ(misplaced, 0u) << count << " records";
    unshuffle_bytes(shuffled.data(), again.data(), count, size);
    EXPECT_EQ(again, rows) << count << " records";
  }
  // A record size that is no multiple of 8 (the blocks' tail bytes).
  std::vector<uint8_t> odd(17 * 11), odd_columns(odd.size()), odd_back(odd.size());
  for (size_t i = 0; i < odd.size(); ++i) odd[i] = static_cast<uint8_t>(i * 7 + 3);
  shuffle_bytes(odd.data(), odd_columns.data(), 17, 11);
  EXPECT_EQ(odd_columns[3 * 17 + 16], odd[16 * 11 + 3]);
  EXPECT_EQ(odd_columns[10 * 17 + 9], odd[9 * 11 + 10]);
  unshuffle_bytes(odd_columns.data(), odd_back.data(), 17, 11);
  EXPECT_EQ(odd_back, odd);
}

TEST(RecordReplay, GivesBackWhatWasWrittenAtTheTimeItWasTaken) {
  TempDir dir;
  Replay replay(write_standard_recording(dir));
  EXPECT_EQ(replay.info().hostname, "testhost");
  EXPECT_EQ(replay.info().netns, 4026531840u);
  EXPECT_EQ(replay.info().start_ns, kStart);
  EXPECT_FALSE(replay.state().has_counters) << "nothing is applied before advance_to";

  std::vector<ts_event> seen;
  uint64_t scans = 0;
  const auto on_event = [&](const ts_event& e, uint64_t) { seen.push_back(e); };
  const auto on_scan = [&](const ReplayState&) { ++scans; };

  EXPECT_TRUE(replay.advance_to(kStart + 99 * kMs, on_event, on_scan));
  const ReplayState& s = replay.state();
  ASSERT_TRUE(s.has_counters);
  EXPECT_TRUE(same_bytes(s.counters.counters, counters_with(1)));
  EXPECT_EQ(s.counters_ns, kStart);
  ASSERT_TRUE(s.has_snapshot);
  ASSERT_EQ(s.sockets.size(), 2u);
  EXPECT_TRUE(same_bytes(s.sockets[1], kSockets[1]));
  EXPECT_EQ(s.snapshot_seq, 1u);
  ASSERT_TRUE(s.has_kernel);
  EXPECT_EQ(s.kernel.counters.at("Tcp.ActiveOpens"), 12);
  ASSERT_TRUE(s.kernel.port_range);
  EXPECT_EQ(s.kernel.port_range->high, 60999);
  EXPECT_TRUE(seen.empty()) << "the first events block is at +100 ms";
  EXPECT_EQ(replay.next_ns().value_or(0), kStart + 100 * kMs);

  EXPECT_TRUE(replay.advance_to(kStart + 100 * kMs, on_event, on_scan)) << "a block at exactly t is applied";
  ASSERT_EQ(seen.size(), kFirstEvents.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(same_bytes(seen[i], kFirstEvents[i])) << "event " << i;
  EXPECT_TRUE(same_bytes(s.counters.counters, counters_with(2)));
  EXPECT_EQ(s.counters.missed, 2u);
  EXPECT_TRUE(same_bytes(s.loss, kLoss));
  EXPECT_EQ(scans, 0u);
  EXPECT_FALSE(s.end);

  EXPECT_FALSE(replay.advance_to(UINT64_MAX, on_event, on_scan)) << "false once every block is applied";
  EXPECT_EQ(seen.size(), kFirstEvents.size() + kLaterEvents.size());
  EXPECT_TRUE(same_bytes(seen.back(), kLaterEvents.back()));
  EXPECT_EQ(replay.events_replayed(), seen.size());
  EXPECT_EQ(scans, 1u);
  ASSERT_EQ(s.owners.size(), 2u);
  EXPECT_TRUE(same_bytes(s.owners[0], kOwners[0]));
  EXPECT_EQ(s.owners_ns, kStart + 1000 * kMs);
  EXPECT_TRUE(same_bytes(s.counters.counters, counters_with(3)));
  ASSERT_TRUE(s.end);
  EXPECT_EQ((*s.end)["reason"], "duration");
  EXPECT_EQ(replay.now_ns(), kStart + 1000 * kMs);
  EXPECT_EQ(damage_summary(replay.reader()), "") << "a whole file with its END block has nothing to report";
}

TEST(RecordReplay, RewindPlaysTheSameBlocksAgain) {
  TempDir dir;
  Replay replay(write_standard_recording(dir));
  const size_t first = replay_all(replay).events.size();
  replay.rewind();
  EXPECT_EQ(replay_all(replay).events.size(), first);
}

TEST(RecordReplay, EachFileOfARotationReplaysOnItsOwn) {
  TempDir dir;
  const std::string path = dir.file("rot.tsr");
  {
    RecordingWriter writer({.path = path});
    ASSERT_TRUE(writer.submit(first_chunk(0) + middle_chunk()));
    writer.next_file();
    ASSERT_TRUE(writer.submit(first_chunk(1) + last_chunk()));
    writer.finish();
    EXPECT_EQ(writer.files_started(), 2u);
  }
  EXPECT_EQ(rotation_file_name(path, 1), path + ".1");
  Replay first(path), second(rotation_file_name(path, 1));
  EXPECT_EQ(first.info().header["file_index"], 0);
  EXPECT_EQ(second.info().header["file_index"], 1);
  EXPECT_EQ(replay_all(first).events.size(), kFirstEvents.size());
  EXPECT_EQ(replay_all(second).events.size(), kLaterEvents.size());
  EXPECT_TRUE(second.state().has_snapshot) << "every file starts with a snapshot";
}

TEST(RecordDamage, ATruncatedFileReplaysTheWholeChunksBeforeTheCut) {
  TempDir dir;
  const std::vector<uint8_t> whole = read_bytes(write_standard_recording(dir));
  const std::vector<size_t> chunks = chunk_offsets(whole);
  ASSERT_EQ(chunks.size(), 3u);
  struct Cut {
    size_t at;
    size_t events;  // of the chunks before it
  };
  const Cut cuts[] = {
      {chunks[1] + 3, 0},                              // inside the middle chunk's prefix
      {chunks[1] + kChunkPrefixSize + 5, 0},           // inside its frame
      {chunks[2] + kChunkPrefixSize, kFirstEvents.size()},  // the last chunk's prefix and nothing more
      {whole.size() - 1, kFirstEvents.size()},         // one byte short
  };
  for (const Cut& cut : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(cut.at));
    const std::string path = dir.file("cut.tsr");
    write_bytes(path, std::vector<uint8_t>(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut.at)));
    Replay replay(path);
    EXPECT_EQ(replay_all(replay).events.size(), cut.events);
    EXPECT_TRUE(replay.state().has_snapshot) << "the first chunk is whole";
    EXPECT_FALSE(replay.state().end);
    ASSERT_EQ(replay.reader().damage().size(), 1u);
    EXPECT_TRUE(contains(damage_summary(replay.reader()), "truncated")) << damage_summary(replay.reader());
  }
}

TEST(RecordDamage, ADamagedChunkIsSkippedAndTheChunksAfterItStillReplay) {
  TempDir dir;
  const std::vector<uint8_t> whole = read_bytes(write_standard_recording(dir));
  const std::vector<size_t> chunks = chunk_offsets(whole);
  ASSERT_EQ(chunks.size(), 3u);
  const size_t frame = chunks[1] + kChunkPrefixSize, stored = chunks[2] - frame;
  // The middle of the compressed data, and the content checksum at the frame's end.
  for (const size_t at : {frame + stored / 2, chunks[2] - 2}) {
    SCOPED_TRACE("flipped byte at " + std::to_string(at));
    std::vector<uint8_t> bytes = whole;
    bytes[at] ^= 0x5a;
    Replay replay(bytes, "flipped.tsr");
    const Replayed r = replay_all(replay);
    ASSERT_EQ(r.events.size(), kLaterEvents.size()) << "only the last chunk's events";
    EXPECT_TRUE(same_bytes(r.events.front(), kLaterEvents.front()));
    EXPECT_EQ(replay.state().loss.ring_lost, 0u) << "the LOSS block was in the damaged chunk";
    EXPECT_TRUE(replay.state().end);
    const std::string summary = damage_summary(replay.reader());
    EXPECT_TRUE(contains(summary, "damaged chunk skipped")) << summary;
    EXPECT_TRUE(contains(summary, "at byte " + std::to_string(chunks[1]))) << summary;
  }
}

TEST(RecordDamage, AnImplausibleChunkLengthStopsTheReading) {
  TempDir dir;
  std::vector<uint8_t> bytes = read_bytes(write_standard_recording(dir));
  const std::vector<size_t> chunks = chunk_offsets(bytes);
  const uint32_t huge = 0xfffffff0;
  std::memcpy(bytes.data() + chunks[1], &huge, 4);
  Replay replay(bytes, "huge.tsr");
  EXPECT_TRUE(replay_all(replay).events.empty()) << "where the next chunk starts is unknown";
  EXPECT_TRUE(contains(damage_summary(replay.reader()), "implausible"));
}

TEST(RecordDamage, AFileWithoutItsEndBlockIsCutShort) {
  TempDir dir;
  Replay replay(write_standard_recording(dir, false));
  EXPECT_EQ(damage_summary(replay.reader()), "") << "not before it has been read to its end";
  EXPECT_EQ(replay_all(replay).events.size(), kFirstEvents.size() + kLaterEvents.size());
  EXPECT_TRUE(replay.reader().damage().empty());
  EXPECT_TRUE(contains(damage_summary(replay.reader()), "cut short")) << damage_summary(replay.reader());
}

TEST(RecordFile, SomethingElseIsNoRecording) {
  TempDir dir;
  const std::string path = dir.file("hello.txt");
  write_bytes(path, {'h', 'e', 'l', 'l', 'o'});
  try {
    Replay replay(path);
    FAIL() << "read as a recording";
  } catch (const UserError& e) {
    EXPECT_TRUE(contains(e.what(), "not a tcpsight recording")) << e.what();
  }
  const std::vector<uint8_t> empty;
  EXPECT_THROW(Replay(empty, "empty"), UserError);
}

TEST(RecordFile, ANewerFormatIsReadWhenItsReadableByAllowsIt) {
  TempDir dir;
  std::vector<uint8_t> bytes = read_bytes(write_standard_recording(dir));
  ASSERT_EQ(std::memcmp(bytes.data(), kMagic, sizeof kMagic), 0);
  const auto set_versions = [&](uint16_t version, uint16_t readable_by) {
    std::memcpy(bytes.data() + 8, &version, 2);
    std::memcpy(bytes.data() + 10, &readable_by, 2);
  };

  set_versions(2, 1);
  Replay readable(bytes, "v2.tsr");
  EXPECT_EQ(readable.reader().file_header().version, 2);
  EXPECT_EQ(replay_all(readable).events.size(), kFirstEvents.size() + kLaterEvents.size());

  set_versions(2, 2);
  try {
    Replay refused(bytes, "v2only.tsr");
    FAIL() << "a file only format 2 readers can read was read";
  } catch (const UserError& e) {
    EXPECT_TRUE(contains(e.what(), "newer tcpsight")) << e.what();
  }
}

TEST(RecordFile, UnknownBlockTypesAndVersionsAreSkippedAndCounted) {
  TempDir dir;
  BlockBuilder b;
  b.add(static_cast<BlockType>(99), kStart + kMs, {"from a newer tcpsight"});
  add_counters(b, kStart + kMs, counters_with(7));
  b.add(BlockType::counters, kStart + kMs, {"a layout of version 2"}, 2);
  const std::string path = write_recording(dir, {first_chunk(), b.take() + last_chunk()});
  Replay replay(path);
  replay_all(replay);
  EXPECT_EQ(replay.reader().unknown_blocks(), 2u);
  EXPECT_TRUE(replay.reader().damage().empty()) << "an unknown block is not damage";
  EXPECT_EQ(replay.events_replayed(), kLaterEvents.size()) << "the blocks after them are read";
  EXPECT_EQ(damage_summary(replay.reader()), "");
}

TEST(RecordFile, AShorterRecordIsZeroFilledAndALongerOneKeepsTheCommonBytes) {
  TempDir dir;
  constexpr size_t kOlderSocket = offsetof(ts_sock_record, syn_queue);  // an older tcpsight's record
  constexpr size_t kNewerEvent = sizeof(ts_event) + 8;                // a newer one's, 8 bytes more
  const std::vector<ts_event> events = numbered_events(kStart + kMs, 3, 200);

  std::string older_sockets;
  for (const ts_sock_record& s : kSockets) older_sockets.append(reinterpret_cast<const char*>(&s), kOlderSocket);
  const ArrayPrefix socket_prefix{.size = kOlderSocket, .count = 2};

  std::vector<uint8_t> newer_events(events.size() * kNewerEvent, 0xee);
  for (size_t i = 0; i < events.size(); ++i) std::memcpy(&newer_events[i * kNewerEvent], &events[i], sizeof(ts_event));
  std::string shuffled(newer_events.size(), '\0');
  shuffle_bytes(newer_events.data(), reinterpret_cast<uint8_t*>(shuffled.data()), events.size(), kNewerEvent);
  const ArrayPrefix event_prefix{.size = kNewerEvent, .count = 3};

  ts_counters full = counters_with(9);
  full.transitions[0][1] = 5;
  const CountersPrefix counters_prefix{.size = 16};  // the first two transitions only

  BlockBuilder b;
  b.add(BlockType::snapshot, kStart + kMs, {bytes_of(socket_prefix), older_sockets});
  b.add(BlockType::events, kStart + kMs, {bytes_of(event_prefix), shuffled});
  b.add(BlockType::counters, kStart + kMs, {bytes_of(counters_prefix), std::string_view(reinterpret_cast<const char*>(&full), 16)});
  Replay replay(write_recording(dir, {first_chunk(), b.take()}));
  const Replayed r = replay_all(replay);
  EXPECT_TRUE(replay.reader().damage().empty()) << damage_summary(replay.reader());

  const ReplayState& s = replay.state();
  ASSERT_EQ(s.sockets.size(), 2u);
  ts_sock_record expected = kSockets[1];
  expected.syn_queue = expected.accept_queue = expected.max_backlog = 0;
  expected.time_wait_remaining_ms = 0;
  EXPECT_TRUE(same_bytes(s.sockets[1], expected)) << "the fields an older record lacks read as zero";

  ASSERT_EQ(r.events.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_TRUE(same_bytes(r.events[i], events[i])) << "event " << i;

  EXPECT_EQ(s.counters.counters.transitions[0][1], 5u) << "within the stored size";
  EXPECT_EQ(s.counters.counters.transitions[TS_CLOSE][TS_SYN_SENT], 0u) << "beyond the stored size";
  EXPECT_EQ(s.counters.counters.events_filtered, 0u);
}

TEST(RecordFile, AMalformedBlockIsDamageAndIsSkipped) {
  TempDir dir;
  BlockBuilder b;
  const ArrayPrefix claims_more{.size = sizeof(ts_sock_record), .count = 1000};
  b.add(BlockType::snapshot, kStart + kMs, {bytes_of(claims_more), bytes_of(kSockets[0])});
  b.add(BlockType::kernel_counters, kStart + kMs, {"no newline at the end 1"});
  Replay replay(write_recording(dir, {first_chunk(), b.take(), last_chunk()}));
  replay_all(replay);
  EXPECT_EQ(replay.state().sockets.size(), kSockets.size()) << "the first file's snapshot stays";
  EXPECT_EQ(replay.state().kernel.counters.at("Tcp.ActiveOpens"), 12);
  EXPECT_EQ(replay.reader().damage().size(), 2u);
  EXPECT_TRUE(contains(damage_summary(replay.reader()), "malformed"));
  EXPECT_EQ(replay.events_replayed(), kLaterEvents.size());
}

}  // namespace
}  // namespace tcpsight::recording

namespace tcpsight::recording {
namespace {

NamespaceSighting sighting(uint32_t inode, const std::string& name, int64_t opens) {
  NamespaceSighting s;
  s.id = {.inode = inode, .name = name, .kind = "netns", .container_id = "", .host = false};
  s.snapshot_age_s = 0.25;
  s.kernel = KernelCounters{{"Tcp.ActiveOpens", opens}, {"TcpExt.ListenOverflows", 3}};
  s.limits = SystemLimits{.port_range = PortRange{1024, 2047}, .max_time_wait = 4096};
  return s;
}

TEST(RecordNamespaces, EachNamespacesSnapshotCountersAndProcCountersComeBackAsWritten) {
  TempDir dir;
  BlockBuilder b;
  b.add(BlockType::header, kStart, {R"({"netns":0,"namespaces":"all"})"});
  add_counters(b, kStart, counters_with(1));
  std::vector<NetnsCountersRecord> counters(2);
  counters[0].netns = 11, counters[0].counters.transitions[TS_CLOSE][TS_SYN_SENT] = 5;
  counters[1].netns = 22, counters[1].counters.resets_sent = 9;
  add_array(b, BlockType::netns_counters, kStart, counters);
  add_array(b, BlockType::netns_snapshot, kStart, kSockets, 22);
  const NamespaceWatchCounts watch{.seen = 2, .entered = 4, .failed = 1, .unreadable = 0};
  b.add(BlockType::namespaces, kStart + kMs, {encode_namespaces({sighting(11, "a", 7), sighting(22, "b\xff", 8)}, watch)});
  // The next refresh finds only 11: 22's snapshot goes with it.
  b.add(BlockType::namespaces, kStart + 900 * kMs, {encode_namespaces({sighting(11, "a", 9)}, watch)});
  b.add(BlockType::end, kStart + 1000 * kMs, {R"({"reason":"duration"})"});
  Replay replay(write_recording(dir, {b.take()}));
  EXPECT_EQ(replay.info().namespaces, "all");
  EXPECT_EQ(replay.info().netns, 0u);

  replay.advance_to(kStart + kMs);
  const ReplayState& s = replay.state();
  ASSERT_TRUE(s.has_namespaces);
  ASSERT_EQ(s.namespaces.sightings.size(), 2u);
  const NamespaceSighting& b_seen = s.namespaces.sightings[1];
  EXPECT_EQ(b_seen.id.inode, 22u);
  EXPECT_EQ(b_seen.id.name, "b\xef\xbf\xbd") << "a name that is not UTF-8 is kept, its bad byte as U+FFFD";
  EXPECT_EQ(b_seen.kernel->at("Tcp.ActiveOpens"), 8);
  EXPECT_EQ(b_seen.limits->port_range->high, 2047);
  EXPECT_EQ(*b_seen.limits->max_time_wait, 4096u);
  EXPECT_DOUBLE_EQ(b_seen.snapshot_age_s, 0.25);
  EXPECT_EQ(s.namespaces.watch.entered, 4u);
  EXPECT_EQ(s.namespaces.watch.failed, 1u);
  ASSERT_EQ(s.netns_counters.size(), 2u);
  EXPECT_TRUE(same_bytes(s.netns_counters[0], counters[0]));
  EXPECT_TRUE(same_bytes(s.netns_counters[1], counters[1]));
  ASSERT_EQ(s.netns_sockets.count(22), 1u);
  EXPECT_EQ(s.netns_sockets.at(22).size(), kSockets.size());
  EXPECT_EQ(s.netns_snapshot_seq.at(22), 1u);

  replay.advance_to(kStart + 1000 * kMs);
  EXPECT_EQ(replay.state().namespaces.sightings.size(), 1u);
  EXPECT_EQ(replay.state().netns_sockets.count(22), 0u) << "a namespace no longer found keeps no snapshot";
  EXPECT_TRUE(replay.reader().damage().empty());
}

TEST(RecordNamespaces, ANamespacesBlockOfTheWrongShapeIsMalformed) {
  for (const std::string bad : {R"({"namespaces":[{"name":"no inode"}]})", R"({"namespaces":[{"netns":1,"kernel":[1]}]})",
                                R"({"namespaces":[{"netns":1,"port_range":[9,3]}]})", R"({"namespaces":{}})", "[]"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(decode_namespaces(std::span(reinterpret_cast<const uint8_t*>(bad.data()), bad.size())));
  }
  const std::string good = R"({"namespaces":[{"netns":1}]})";
  const auto r = decode_namespaces(std::span(reinterpret_cast<const uint8_t*>(good.data()), good.size()));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->sightings.at(0).kernel) << "a namespace that could not be entered has no counters";
}

}  // namespace
}  // namespace tcpsight::recording
