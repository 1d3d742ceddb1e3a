#include "record/block_builder.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Writes the transpose of an 8x8 byte matrix: byte j of `in`'s row i (rows `in_stride` bytes
// apart) becomes byte i of `out`'s row j (rows `out_stride` apart). Records to columns and back
// are both this.
#if defined(__SSE2__)
// Three rounds of interleaving (bytes, then pairs, then quads of rows): 8 loads, 12 unpacks, 8
// stores. With the tiles below: 0.08-0.15 ns a byte for 1,000-19,000 events, where the
// shift-and-mask version (the #else) and no tiles took 0.37-0.53 and was 28% of record's own CPU
// at full churn (perf, 2026-12-03).
void transpose8x8(const uint8_t* in, size_t in_stride, uint8_t* out, size_t out_stride) {
  __m128i r[8];
  for (size_t i = 0; i < 8; ++i) r[i] = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + i * in_stride));
  // Lane j of t0 (16 bits): byte j of rows 0 and 1; of t1: rows 2 and 3; ...
  const __m128i t0 = _mm_unpacklo_epi8(r[0], r[1]), t1 = _mm_unpacklo_epi8(r[2], r[3]);
  const __m128i t2 = _mm_unpacklo_epi8(r[4], r[5]), t3 = _mm_unpacklo_epi8(r[6], r[7]);
  // Lane j of u0 (32 bits): byte j of rows 0-3, j < 4; u1: bytes 4-7; u2, u3: the same of rows 4-7.
  const __m128i u0 = _mm_unpacklo_epi16(t0, t1), u1 = _mm_unpackhi_epi16(t0, t1);
  const __m128i u2 = _mm_unpacklo_epi16(t2, t3), u3 = _mm_unpackhi_epi16(t2, t3);
  // Each 64-bit half: byte j of rows 0-7, an output row; v[k] holds output rows 2k and 2k+1.
  const __m128i v[4] = {_mm_unpacklo_epi32(u0, u2), _mm_unpackhi_epi32(u0, u2), _mm_unpacklo_epi32(u1, u3),
                        _mm_unpackhi_epi32(u1, u3)};
  for (size_t k = 0; k < 4; ++k) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 2 * k * out_stride), v[k]);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + (2 * k + 1) * out_stride), _mm_unpackhi_epi64(v[k], v[k]));
  }
}
#else
// Rows as little-endian words, three rounds of swapping blocks (4x4, 2x2, then 1x1 bytes).
void transpose8x8(const uint8_t* in, size_t in_stride, uint8_t* out, size_t out_stride) {
  uint64_t a[8];
  for (size_t i = 0; i < 8; ++i) std::memcpy(&a[i], in + i * in_stride, 8);
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
  for (size_t j = 0; j < 8; ++j) std::memcpy(out + j * out_stride, &a[j], 8);
}
#endif

// Records taken together by transpose_records: 26 KiB of ts_event, which stays in the L1 cache
// while each eight of its columns are done.
constexpr size_t kTileRecords = 256;

// Moves the bytes of every record between its row (record r's byte b at r * size + b) and the
// columns (at b * count + r), eight records by eight bytes at a time. Byte by byte, the stores of
// one record hit `size` columns `count` bytes apart, which alias in the cache when `count` is a
// power of two: 6.6 ns a byte there (0.3-0.4 byte by byte otherwise). A tile of records is done
// eight columns at a time, so that the column side is touched in runs of 8 pages, not `size` pages
// at once (a drain's columns are each a page or more apart). `to_columns` picks the direction.
void transpose_records(const uint8_t* in, uint8_t* out, size_t count, size_t size, bool to_columns) {
  const size_t rows8 = count - count % 8, bytes8 = size - size % 8;
  for (size_t tile = 0; tile < rows8; tile += kTileRecords) {
    const size_t tile_end = std::min(rows8, tile + kTileRecords);
    for (size_t b0 = 0; b0 < bytes8; b0 += 8)
      for (size_t r0 = tile; r0 < tile_end; r0 += 8) {
        if (to_columns) transpose8x8(in + r0 * size + b0, size, out + b0 * count + r0, count);
        else transpose8x8(in + b0 * count + r0, count, out + r0 * size + b0, size);
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
