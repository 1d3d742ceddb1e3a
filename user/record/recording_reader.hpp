// Reads a recording block by block, from a file or from memory (the fuzz target). What cannot be
// read is noted as damage with its offset and skipped where the chunk's length is still known, so
// a damaged or truncated file replays everything that is intact.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "record/recording_format.hpp"

namespace tcpsight::recording {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `size` bytes; fewer only at the end. Throws UserError on a read error.
  virtual size_t read(void* out, size_t size) = 0;
  // Bytes left, when known (a regular file or memory).
  virtual std::optional<uint64_t> remaining() const = 0;
};

std::unique_ptr<ByteSource> memory_source(std::span<const uint8_t> bytes);
// Throws UserError when the file cannot be opened.
std::unique_ptr<ByteSource> file_source(const std::string& path);

struct Block {
  BlockHeader header;
  std::span<const uint8_t> payload;  // valid until the next call of next()
};

struct Damage {
  uint64_t offset = 0;  // in the file
  std::string what;
};

class RecordingReader {
 public:
  // Reads the file header. Throws UserError for what is no recording or is from a newer format
  // this tcpsight cannot read; `name` is the file's name in messages.
  RecordingReader(std::unique_ptr<ByteSource> source, std::string name);

  // The next block, nullopt at the end of what can be read.
  std::optional<Block> next();

  const FileHeader& file_header() const { return file_header_; }
  const std::string& name() const { return name_; }
  // What could not be read, in file order.
  const std::vector<Damage>& damage() const { return damage_; }
  // Blocks of a type or version this tcpsight does not know (from a newer one), skipped.
  uint64_t unknown_blocks() const { return unknown_blocks_; }
  // A caller found a block it could not decode: it is counted as damage too.
  void note_bad_block(const Block& b, const std::string& what);
  // Whether the last block read was an END block: the recorder closed the file.
  bool ended() const { return ended_; }
  // Whether everything readable has been read (next() gave nullopt).
  bool exhausted() const { return done_; }

 private:
  bool next_chunk();
  void damaged(uint64_t offset, std::string what) { damage_.push_back({offset, std::move(what)}); }

  std::unique_ptr<ByteSource> source_;
  std::string name_;
  FileHeader file_header_;
  uint64_t offset_ = 0;        // in the file, of the next byte to read
  uint64_t chunk_offset_ = 0;  // of the chunk in `chunk_`
  std::vector<uint8_t> stored_, chunk_;
  size_t at_ = 0;  // in chunk_
  bool done_ = false;
  bool ended_ = false;
  uint64_t unknown_blocks_ = 0;
  std::vector<Damage> damage_;
};

}  // namespace tcpsight::recording
