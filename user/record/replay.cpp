#include "record/replay.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/errors.hpp"

namespace tcpsight::recording {

namespace {

RecordingInfo info_of(const nlohmann::json& h) {
  RecordingInfo i;
  i.header = h;
  const auto str = [&](const char* k) { return h.contains(k) && h[k].is_string() ? h[k].get<std::string>() : ""; };
  i.hostname = str("hostname");
  i.kernel_release = str("kernel_release");
  i.tcpsight_version = str("tcpsight_version");
  i.boot_id = str("boot_id");
  i.netns_name = str("netns_name");
  i.namespaces = str("namespaces");
  if (h.contains("netns") && h["netns"].is_number_unsigned()) i.netns = h["netns"].get<uint32_t>();
  if (h.contains("clock") && h["clock"].is_object()) {
    const auto& c = h["clock"];
    if (c.contains("realtime_minus_monotonic_s") && c["realtime_minus_monotonic_s"].is_number())
      i.realtime_minus_monotonic_s = c["realtime_minus_monotonic_s"].get<double>();
  }
  if (h.contains("reset_reasons") && h["reset_reasons"].is_array())
    for (const auto& r : h["reset_reasons"]) i.reset_reasons.push_back(r.is_string() ? r.get<std::string>() : "");
  return i;
}

}  // namespace

Replay::Replay(std::string path) : path_(std::move(path)) { open(); }

Replay::Replay(std::span<const uint8_t> bytes, std::string name) : path_(std::move(name)), bytes_(bytes), in_memory_(true) {
  open();
}

void Replay::open() {
  reader_ = std::make_unique<RecordingReader>(in_memory_ ? memory_source(bytes_) : file_source(path_), path_);
  pending_.reset();
  state_ = {};
  now_ns_ = 0;
  events_ = 0;
  const std::optional<Block> first = reader_->next();
  if (!first || first->header.type != BlockType::header)
    throw UserError(path_ + " has no readable recording header" +
                    (reader_->damage().empty() ? "" : ": " + reader_->damage().front().what));
  const auto h = decode_json(first->payload);
  if (!h) throw UserError(path_ + ": its recording header is not a JSON object");
  info_ = info_of(*h);
  info_.start_ns = first->header.mono_ns;
  now_ns_ = first->header.mono_ns;
}

void Replay::rewind() { open(); }

std::optional<uint64_t> Replay::next_ns() {
  if (!pending_) pending_ = reader_->next();
  if (!pending_) return std::nullopt;
  return pending_->header.mono_ns;
}

bool Replay::advance_to(uint64_t t_ns, const EventSink& on_event, const ScanSink& on_scan) {
  for (;;) {
    const std::optional<uint64_t> next = next_ns();
    if (!next) return false;
    if (*next > t_ns) return true;
    const Block b = *pending_;
    apply(b, on_event, on_scan);  // before next(): the payload lives in the reader's chunk
    pending_.reset();
  }
}

void Replay::apply(const Block& b, const EventSink& on_event, const ScanSink& on_scan) {
  now_ns_ = std::max(now_ns_, b.header.mono_ns);
  switch (b.header.type) {
    case BlockType::header: break;  // a rotation's next file starts with one; only the first counts
    case BlockType::counters:
      if (const auto c = decode_counters(b.payload)) {
        state_.counters = *c;
        state_.counters_ns = b.header.mono_ns;
        state_.has_counters = true;
      } else {
        reader_->note_bad_block(b, "not a counters reading");
      }
      break;
    case BlockType::snapshot:
      if (decode_array(b.payload, state_.sockets, false)) {
        state_.snapshot_ns = b.header.mono_ns;
        state_.has_snapshot = true;
        ++state_.snapshot_seq;
      } else {
        reader_->note_bad_block(b, "its records do not fill it");
      }
      break;
    case BlockType::events:
      if (decode_array(b.payload, events_buffer_, true)) {
        events_ += events_buffer_.size();
        if (on_event)
          for (const ts_event& e : events_buffer_) on_event(e, b.header.mono_ns);
      } else {
        reader_->note_bad_block(b, "its records do not fill it");
      }
      break;
    case BlockType::loss:
      if (const auto l = decode_loss(b.payload))
        state_.loss = *l;
      else
        reader_->note_bad_block(b, "too short");
      break;
    case BlockType::kernel_counters:
      if (auto k = decode_kernel_counters(b.payload)) {
        state_.kernel = std::move(*k);
        state_.has_kernel = true;
      } else {
        reader_->note_bad_block(b, "not \"key value\" lines");
      }
      break;
    case BlockType::owners:
      if (const auto p = decode_array(b.payload, state_.owners, false)) {
        state_.owners_started_ns = p->started_ns;
        state_.owners_ns = b.header.mono_ns;
        ++state_.owners_seq;
        if (on_scan) on_scan(state_);
      } else {
        reader_->note_bad_block(b, "its records do not fill it");
      }
      break;
    case BlockType::end:
      state_.end = decode_json(b.payload);
      break;
    case BlockType::netns_snapshot: {
      std::vector<ts_sock_record> records;
      if (const auto p = decode_array(b.payload, records, false)) {
        state_.netns_sockets[p->netns] = std::move(records);
        ++state_.netns_snapshot_seq[p->netns];
      } else {
        reader_->note_bad_block(b, "its records do not fill it");
      }
      break;
    }
    case BlockType::namespaces:
      if (auto n = decode_namespaces(b.payload)) {
        state_.namespaces = std::move(*n);
        state_.namespaces_ns = b.header.mono_ns;
        state_.has_namespaces = true;
        // Snapshots of namespaces no longer found are of no more use.
        std::erase_if(state_.netns_sockets, [&](const auto& kv) {
          return std::ranges::none_of(state_.namespaces.sightings, [&](const NamespaceSighting& s) {
            return s.id.inode == kv.first;
          });
        });
      } else {
        reader_->note_bad_block(b, "not a list of namespaces");
      }
      break;
    case BlockType::netns_counters:
      if (!decode_array(b.payload, state_.netns_counters, false)) reader_->note_bad_block(b, "its records do not fill it");
      break;
  }
}

std::string damage_summary(const RecordingReader& reader) {
  std::string out;
  for (const Damage& d : reader.damage()) {
    if (!out.empty()) out += "; ";
    out += fmt::format("at byte {}: {}", d.offset, d.what);
  }
  if (out.empty() && reader.exhausted() && !reader.ended())
    out = "it ends without the recorder's end block (the recording was cut short, e.g. killed); what is there "
          "was replayed";
  return out;
}

}  // namespace tcpsight::recording
