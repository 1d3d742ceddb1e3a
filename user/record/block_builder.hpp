// Blocks of a recording laid out in memory, a chunk's worth at a time: no formatting, only copies.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "record/recording_format.hpp"
#include "tcpsight/abi.h"

namespace tcpsight::recording {

class BlockBuilder {
 public:
  // A block whose payload is the concatenation of `parts`.
  void add(BlockType type, uint64_t mono_ns, std::initializer_list<std::string_view> parts, uint16_t version = 1);
  // Events as one block, stored byte-shuffled: byte i of every record, then byte i+1, ... (a
  // column per byte), which zstd compresses several times better than whole records.
  void add_events(uint64_t mono_ns, uint32_t netns, std::span<const ts_event> events);

  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  // Hands the bytes over and starts again.
  std::string take();

 private:
  std::string bytes_;
};

template <class T>
std::string_view bytes_of(const T& value) {
  return {reinterpret_cast<const char*>(&value), sizeof value};
}
template <class T>
std::string_view bytes_of(std::span<const T> values) {
  return {reinterpret_cast<const char*>(values.data()), values.size_bytes()};
}

// Byte-shuffles `count` records of `size` bytes from `in` into `out` (both count*size bytes) and back.
void shuffle_bytes(const uint8_t* in, uint8_t* out, size_t count, size_t size);
void unshuffle_bytes(const uint8_t* in, uint8_t* out, size_t count, size_t size);

}  // namespace tcpsight::recording
