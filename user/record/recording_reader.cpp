#include "record/recording_reader.hpp"

#include <sys/stat.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.hpp"
#include "record/block_decode.hpp"

namespace tcpsight::recording {

namespace {

// The largest uncompressed chunk a reader accepts: a snapshot of 4 million sockets.
constexpr size_t kMaxRawChunkBytes = 256u << 20;

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  size_t read(void* out, size_t size) override {
    const size_t n = std::min(size, bytes_.size() - at_);
    if (n) std::memcpy(out, bytes_.data() + at_, n);
    at_ += n;
    return n;
  }
  std::optional<uint64_t> remaining() const override { return bytes_.size() - at_; }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

class FileSource final : public ByteSource {
 public:
  FileSource(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  ~FileSource() override { std::fclose(f_); }
  size_t read(void* out, size_t size) override {
    const size_t n = std::fread(out, 1, size, f_);
    if (n < size && std::ferror(f_)) throw UserError("cannot read " + path_ + ": " + std::strerror(errno));
    return n;
  }
  std::optional<uint64_t> remaining() const override {
    struct stat st {};
    const long at = std::ftell(f_);
    if (fstat(fileno(f_), &st) != 0 || !S_ISREG(st.st_mode) || at < 0) return std::nullopt;
    return st.st_size > at ? static_cast<uint64_t>(st.st_size - at) : 0;
  }

 private:
  std::FILE* f_;
  std::string path_;
};

uint16_t u16_at(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t u32_at(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

std::unique_ptr<ByteSource> memory_source(std::span<const uint8_t> bytes) {
  return std::make_unique<MemorySource>(bytes);
}

std::unique_ptr<ByteSource> file_source(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rbe");
  if (!f) throw UserError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::fclose(f);
    throw UserError(path + " is a directory, not a recording");
  }
  return std::make_unique<FileSource>(f, path);
}

RecordingReader::RecordingReader(std::unique_ptr<ByteSource> source, std::string name)
    : source_(std::move(source)), name_(std::move(name)) {
  uint8_t h[kFileHeaderSize];
  const size_t n = source_->read(h, sizeof h);
  offset_ = n;
  if (n < sizeof kMagic || std::memcmp(h, kMagic, sizeof kMagic) != 0)
    throw UserError(name_ + " is not a tcpsight recording (it does not start as one)",
                    "recordings are made by `tcpsight record -w FILE`");
  if (n < sizeof h) throw UserError(name_ + " is truncated: it ends inside its file header");
  file_header_.version = u16_at(h + 8);
  file_header_.readable_by = u16_at(h + 10);
  if (file_header_.version == 0 || file_header_.readable_by > kFormatVersion)
    throw UserError(name_ + " is in recording format " + std::to_string(file_header_.version) +
                        ", which needs a newer tcpsight (this one reads format " + std::to_string(kFormatVersion) +
                        " and older)");
}

bool RecordingReader::next_chunk() {
  if (done_) return false;
  uint8_t prefix[kChunkPrefixSize];
  const uint64_t at = offset_;
  const size_t n = source_->read(prefix, sizeof prefix);
  offset_ += n;
  if (n == 0) {
    done_ = true;
    return false;
  }
  if (n < sizeof prefix) {
    damaged(at, "truncated: the file ends inside a chunk's length");
    done_ = true;
    return false;
  }
  const uint32_t stored = u32_at(prefix), raw = u32_at(prefix + 4);
  const std::optional<uint64_t> left = source_->remaining();
  if (stored < 4 || stored > kMaxRawChunkBytes || raw > kMaxRawChunkBytes) {
    damaged(at, "unreadable from here on: a chunk's length is implausible (" + std::to_string(stored) + " bytes)");
    done_ = true;
    return false;
  }
  if (left && stored > *left) {
    damaged(at, "truncated: the file ends inside a chunk (" + std::to_string(*left) + " of its " +
                    std::to_string(stored) + " bytes are there)");
    done_ = true;
    return false;
  }
  stored_.resize(stored);
  const size_t got = source_->read(stored_.data(), stored);
  offset_ += got;
  if (got < stored) {
    damaged(at, "truncated: the file ends inside a chunk");
    done_ = true;
    return false;
  }
  const unsigned long long content = ZSTD_getFrameContentSize(stored_.data(), stored);
  if (content != raw || ZSTD_findFrameCompressedSize(stored_.data(), stored) != stored) {
    // The length was right (the next chunk is where it says), only this chunk is damaged.
    damaged(at, "damaged chunk skipped: it is not one whole compressed frame of its stated size");
    chunk_.clear();
    at_ = 0;
    return true;
  }
  chunk_.resize(raw);
  const size_t out = ZSTD_decompress(chunk_.data(), raw, stored_.data(), stored);
  if (ZSTD_isError(out) || out != raw) {
    damaged(at, std::string("damaged chunk skipped: ") + (ZSTD_isError(out) ? ZSTD_getErrorName(out) : "short"));
    chunk_.clear();
  }
  chunk_offset_ = at;
  at_ = 0;
  return true;
}

std::optional<Block> RecordingReader::next() {
  for (;;) {
    if (at_ >= chunk_.size()) {
      if (!next_chunk()) return std::nullopt;
      continue;
    }
    if (chunk_.size() - at_ < kBlockHeaderSize) {
      damaged(chunk_offset_, "a chunk ends inside a block header; the rest of it is skipped");
      at_ = chunk_.size();
      continue;
    }
    const uint8_t* p = chunk_.data() + at_;
    Block b;
    b.header.type = static_cast<BlockType>(u16_at(p));
    b.header.version = u16_at(p + 2);
    b.header.length = u32_at(p + 4);
    std::memcpy(&b.header.mono_ns, p + 8, 8);
    if (b.header.length > chunk_.size() - at_ - kBlockHeaderSize) {
      damaged(chunk_offset_, "a block runs past the end of its chunk; the rest of it is skipped");
      at_ = chunk_.size();
      continue;
    }
    b.payload = {p + kBlockHeaderSize, b.header.length};
    at_ += kBlockHeaderSize + b.header.length;
    const auto t = static_cast<uint16_t>(b.header.type);
    if (t < 1 || t > kLastBlockType || b.header.version != 1) {
      ++unknown_blocks_;
      continue;
    }
    ended_ = b.header.type == BlockType::end;
    return b;
  }
}

void RecordingReader::note_bad_block(const Block& b, const std::string& what) {
  damaged(chunk_offset_, std::string("a ") + block_type_name(b.header.type) + " block is malformed (" + what +
                             "); skipped");
}

}  // namespace tcpsight::recording
