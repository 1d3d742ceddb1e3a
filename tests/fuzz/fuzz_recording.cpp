// A recording (`tcpsight record -w`) of any bytes, replayed to its end: refused with a UserError or
// read as far as it can be, never a crash. Because a recording's blocks sit inside zstd frames that
// random bytes almost never decompress, an input whose first byte is 1 is instead the content of one
// chunk: it is compressed into a well-formed file here, so the fuzzer reaches the block parser and
// the decoders behind it. Any other input is the file itself (a real recording starts with 'T').
#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "record/recording_format.hpp"
#include "record/replay.hpp"

namespace {

using namespace tcpsight::recording;

constexpr uint8_t kChunkContentMode = 1;

template <class T>
void append(std::vector<uint8_t>& out, const T& value) {
  const auto* p = reinterpret_cast<const uint8_t*>(&value);
  out.insert(out.end(), p, p + sizeof value);
}

// The file a recorder would write if its only chunk held `content`.
std::vector<uint8_t> file_of_chunk(std::span<const uint8_t> content) {
  std::vector<uint8_t> file(kMagic, kMagic + sizeof kMagic);
  append(file, kFormatVersion);  // version
  append(file, kFormatVersion);  // readable_by
  append(file, uint32_t{0});
  std::vector<uint8_t> frame(ZSTD_compressBound(content.size()));
  const size_t stored = ZSTD_compress(frame.data(), frame.size(), content.data(), content.size(), 1);
  if (ZSTD_isError(stored)) std::abort();  // the bound always suffices
  append(file, static_cast<uint32_t>(stored));
  append(file, static_cast<uint32_t>(content.size()));
  file.insert(file.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(stored));
  return file;
}

// Reads every byte, so that a record that was not filled whole shows under the sanitizers.
template <class T>
uint8_t touch(const T& record) {
  uint8_t sum = 0;
  for (size_t i = 0; i < sizeof record; ++i) sum = static_cast<uint8_t>(sum + reinterpret_cast<const uint8_t*>(&record)[i]);
  return sum;
}

template <class T>
uint8_t touch_all(const std::vector<T>& records) {
  uint8_t sum = 0;
  for (const T& r : records) sum = static_cast<uint8_t>(sum + touch(r));
  return sum;
}

struct Pass {
  uint64_t events = 0;
  uint64_t scans = 0;
  uint8_t sum = 0;  // kept so the reads are not optimised away
};

Pass play_to_the_end(Replay& replay) {
  Pass pass;
  const auto on_event = [&](const ts_event& e, uint64_t block_ns) {
    ++pass.events;
    if (block_ns > replay.now_ns()) std::abort();  // its block was applied first
    pass.sum = static_cast<uint8_t>(pass.sum + touch(e));
  };
  const auto on_scan = [&](const ReplayState& s) {
    ++pass.scans;
    if (s.owners_seq != pass.scans) std::abort();
    pass.sum = static_cast<uint8_t>(pass.sum + touch_all(s.owners));
  };
  // Every block's time is at most UINT64_MAX, so this applies them all.
  if (replay.advance_to(UINT64_MAX, on_event, on_scan)) std::abort();
  if (replay.next_ns() || !replay.reader().exhausted()) std::abort();
  if (replay.events_replayed() != pass.events) std::abort();

  const ReplayState& s = replay.state();
  if (s.has_snapshot != (s.snapshot_seq > 0)) std::abort();
  if (s.has_counters && s.counters_ns > replay.now_ns()) std::abort();
  pass.sum = static_cast<uint8_t>(pass.sum + touch_all(s.sockets) + touch_all(s.owners) + touch(s.counters) + touch(s.loss));
  return pass;
}

void replay_bytes(std::span<const uint8_t> file) {
  std::optional<Replay> replay;
  try {
    replay.emplace(file, "fuzz.tsr");
  } catch (const tcpsight::UserError&) {
    return;  // no recording, a format too new, or no header: refused with a reason
  }
  const Pass first = play_to_the_end(*replay);
  const std::string summary = damage_summary(replay->reader());
  if (!replay->reader().damage().empty() && summary.empty()) std::abort();

  // Replaying from memory is deterministic: top -r's seeking back relies on it.
  replay->rewind();
  const Pass again = play_to_the_end(*replay);
  if (again.events != first.events || again.scans != first.scans || again.sum != first.sum) std::abort();
  if (damage_summary(replay->reader()) != summary) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  if (size > 0 && data[0] == kChunkContentMode) {
    const std::vector<uint8_t> file = file_of_chunk(input.subspan(1));
    replay_bytes(file);
  } else {
    replay_bytes(input);
  }
  return 0;
}
