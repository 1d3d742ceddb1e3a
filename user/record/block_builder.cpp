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

namespace {

// Transposes the 8x8 byte matrix whose row i is a[i] (byte j of a[i] = M[i][j], little-endian):
// afterwards byte i of a[j] is M[i][j]. Three rounds of swapping blocks, 4x4 then 2x2 then 1x1
// bytes; its own inverse.
void transpose8x8(uint64_t a[8]) {
  for (int i = 0; i < 4; ++i) {
    const uint64_t t = ((a[i] >> 32) ^ a[i + 4]) & 0x00000000FFFFFFFFull;
    a[i] ^= t << 32;
    a[i + 4] ^= t;
  }
  for (int i : {0, 1, 4, 5}) {
    const uint64_t t = ((a[i] >> 16) ^ a[i + 2]) & 0x0000FFFF0000FFFFull;
    a[i] ^= t << 16;
    a[i + 2] ^= t;
  }
  for (int i : {0, 2, 4, 6}) {
    const uint64_t t = ((a[i] >> 8) ^ a[i + 1]) & 0x00FF00FF00FF00FFull;
    a[i] ^= t << 8;
    a[i + 1] ^= t;
  }
}

// Moves the bytes of every record between its row (record r's byte b at r * size + b) and the
// columns (at b * count + r), eight records by eight bytes at a time. Byte by byte, the stores of
// one record hit `size` columns `count` bytes apart, which alias in the cache when `count` is a
// power of two: 6.6 ns a byte there, 0.46 ns here at any count (0.3-0.4 byte by byte otherwise).
// `to_columns` picks the direction.
void transpose_records(const uint8_t* in, uint8_t* out, size_t count, size_t size, bool to_columns) {
  const size_t rows8 = count - count % 8, bytes8 = size - size % 8;
  uint64_t a[8];
  for (size_t r0 = 0; r0 < rows8; r0 += 8) {
    for (size_t b0 = 0; b0 < bytes8; b0 += 8) {
      if (to_columns) {
        for (size_t i = 0; i < 8; ++i) std::memcpy(&a[i], in + (r0 + i) * size + b0, 8);
        transpose8x8(a);
        for (size_t j = 0; j < 8; ++j) std::memcpy(out + (b0 + j) * count + r0, &a[j], 8);
      } else {
        for (size_t j = 0; j < 8; ++j) std::memcpy(&a[j], in + (b0 + j) * count + r0, 8);
        transpose8x8(a);
        for (size_t i = 0; i < 8; ++i) std::memcpy(out + (r0 + i) * size + b0, &a[i], 8);
      }
    }
  }
  // What the 8x8 blocks leave: the last count % 8 records, and the last size % 8 bytes of each.
  const auto one = [&](size_t r, size_t b) {
    if (to_columns) out[b * count + r] = in[r * size + b];
    else out[r * size + b] = in[b * count + r];
  };
  for (size_t r = 0; r < rows8; ++r)
    for (size_t b = bytes8; b < size; ++b) one(r, b);
  for (size_t r = rows8; r < count; ++r)
    for (size_t b = 0; b < size; ++b) one(r, b);
}

}  // namespace

void shuffle_bytes(const uint8_t* in, uint8_t* out, size_t count, size_t size) {
  transpose_records(in, out, count, size, true);
}

void unshuffle_bytes(const uint8_t* in, uint8_t* out, size_t count, size_t size) {
  transpose_records(in, out, count, size, false);
}

}  // namespace tcpsight::recording
