#include "record/block_builder.hpp"

#include <bit>
#include <cstring>

namespace tcpsight::recording {

static_assert(std::endian::native == std::endian::little, "recordings are stored little-endian, as laid out in memory");

namespace {

void put_header(std::string& out, BlockType type, uint16_t version, uint32_t length, uint64_t mono_ns) {
  char h[kBlockHeaderSize];
  const auto t = static_cast<uint16_t>(type);
  std::memcpy(h, &t, 2);
  std::memcpy(h + 2, &version, 2);
  std::memcpy(h + 4, &length, 4);
  std::memcpy(h + 8, &mono_ns, 8);
  out.append(h, sizeof h);
}

}  // namespace

void BlockBuilder::add(BlockType type, uint64_t mono_ns, std::initializer_list<std::string_view> parts,
                       uint16_t version) {
  size_t length = 0;
  for (std::string_view p : parts) length += p.size();
  put_header(bytes_, type, version, static_cast<uint32_t>(length), mono_ns);
  for (std::string_view p : parts) bytes_.append(p);
}

void BlockBuilder::add_events(uint64_t mono_ns, uint32_t netns, std::span<const ts_event> events) {
  const ArrayPrefix prefix{.netns = netns,
                           .size = sizeof(ts_event),
                           .count = static_cast<uint32_t>(events.size()),
                           .started_ns = events.empty() ? 0 : events.front().ts_ns};
  const size_t data = events.size_bytes();
  put_header(bytes_, BlockType::events, 1, static_cast<uint32_t>(sizeof prefix + data), mono_ns);
  bytes_.append(bytes_of(prefix));
  const size_t at = bytes_.size();
  bytes_.resize(at + data);
  shuffle_bytes(reinterpret_cast<const uint8_t*>(events.data()), reinterpret_cast<uint8_t*>(bytes_.data() + at),
                events.size(), sizeof(ts_event));
}

std::string BlockBuilder::take() {
  std::string out;
  out.swap(bytes_);
  bytes_.reserve(out.capacity());
  return out;
}

void shuffle_bytes(const uint8_t* in, uint8_t* out, size_t count, size_t size) {
  for (size_t r = 0; r < count; ++r)
    for (size_t b = 0; b < size; ++b) out[b * count + r] = in[r * size + b];
}

void unshuffle_bytes(const uint8_t* in, uint8_t* out, size_t count, size_t size) {
  for (size_t r = 0; r < count; ++r)
    for (size_t b = 0; b < size; ++b) out[r * size + b] = in[b * count + r];
}

}  // namespace tcpsight::recording
