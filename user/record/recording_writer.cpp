#include "record/recording_writer.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "core/errors.hpp"
#include "record/recording_format.hpp"

namespace tcpsight::recording {

namespace {

std::string file_header_bytes() {
  std::string h(kMagic, sizeof kMagic);
  const FileHeader fh;
  h.append(reinterpret_cast<const char*>(&fh.version), 2);
  h.append(reinterpret_cast<const char*>(&fh.readable_by), 2);
  h.append(4, '\0');
  return h;
}

int create_file(const std::string& name) {
  // 0600: a recording names every connection of the host and who held it.
  return ::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

}  // namespace

std::string rotation_file_name(const std::string& path, uint32_t index) {
  return index == 0 ? path : path + "." + std::to_string(index);
}

RecordingWriter::RecordingWriter(WriterOptions options) : options_(std::move(options)) {
  fd_ = create_file(options_.path);
  if (fd_ < 0)
    throw UserError("cannot create " + options_.path + ": " + std::strerror(errno));
  const std::string h = file_header_bytes();
  if (!write_all(h.data(), h.size())) {
    ::close(fd_);
    throw UserError("cannot write " + options_.path + ": " + *error_);
  }
  file_stored_ = h.size();
  files_started_ = 1;
}

void RecordingWriter::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

RecordingWriter::~RecordingWriter() {
  try {
    finish();
  } catch (...) {  // reported by whoever called finish() first; a destructor must not throw
  }
}

bool RecordingWriter::submit(std::string chunk) {
  if (chunk.empty()) return true;
  std::lock_guard lock(mutex_);
  if (queued_bytes_ + chunk.size() > options_.max_queued_bytes) return false;
  queued_bytes_ += chunk.size();
  queue_.push_back({std::move(chunk)});
  start();
  wake_.notify_one();
  return true;
}

void RecordingWriter::next_file() {
  std::lock_guard lock(mutex_);
  ++rotations_queued_;
  queue_.push_back({});
  start();
  wake_.notify_one();
}

uint64_t RecordingWriter::file_bytes() const {
  std::lock_guard lock(mutex_);
  // A next file asked for and not yet opened: it holds nothing so far (not the last one's bytes,
  // which would ask for another rotation at once).
  if (rotations_queued_) return 0;
  const uint64_t raw = raw_total_.load(), stored = stored_total_.load();
  // Queued chunks at the compression ratio so far (1:1 before the first one is written).
  const double ratio = raw ? static_cast<double>(stored) / static_cast<double>(raw) : 1.0;
  return file_stored_.load() + static_cast<uint64_t>(static_cast<double>(queued_bytes_) * ratio);
}

std::optional<std::string> RecordingWriter::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void RecordingWriter::finish() {
  {
    std::lock_guard lock(mutex_);
    finishing_ = true;
    start();  // writes what is queued even if nothing started it
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    const bool synced = ::fsync(fd_) == 0 || errno == EINVAL;  // EINVAL: a pipe or a device
    ::close(fd_);
    fd_ = -1;
    std::lock_guard lock(mutex_);
    if (!synced && !error_) error_ = std::string("fsync: ") + std::strerror(errno);
  }
  std::lock_guard lock(mutex_);
  if (error_) throw UserError("writing the recording " + rotation_file_name(options_.path, index_) + ": " + *error_);
}

bool RecordingWriter::write_all(const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = n < 0 ? std::strerror(errno) : "short write";
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void RecordingWriter::open_file(uint32_t index) {
  if (fd_ >= 0) ::close(fd_);
  index_ = index;
  const std::string name = rotation_file_name(options_.path, index);
  fd_ = create_file(name);
  if (fd_ < 0) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = "cannot create " + name + ": " + std::strerror(errno);
    return;
  }
  const std::string h = file_header_bytes();
  write_all(h.data(), h.size());
  file_stored_ = h.size();
  ++files_started_;
}

void RecordingWriter::run() {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, options_.zstd_level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);  // a reader tells a damaged chunk from a good one
  std::string frame;
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !queue_.empty() || finishing_; });
      if (queue_.empty()) break;  // finishing, and everything is written
      item = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= item.chunk.size();
      if (error_) continue;  // after a write error nothing more is written; the queue still drains
    }
    if (item.chunk.empty()) {
      const uint32_t next = options_.max_files && index_ + 1 >= options_.max_files ? 0 : index_ + 1;
      open_file(next);
      std::lock_guard lock(mutex_);
      --rotations_queued_;
      continue;
    }
    frame.resize(ZSTD_compressBound(item.chunk.size()) + kChunkPrefixSize);
    const size_t n = ZSTD_compress2(cctx, frame.data() + kChunkPrefixSize, frame.size() - kChunkPrefixSize,
                                    item.chunk.data(), item.chunk.size());
    if (ZSTD_isError(n)) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::string("zstd: ") + ZSTD_getErrorName(n);
      continue;
    }
    const auto stored = static_cast<uint32_t>(n), raw = static_cast<uint32_t>(item.chunk.size());
    std::memcpy(frame.data(), &stored, 4);
    std::memcpy(frame.data() + 4, &raw, 4);
    if (!write_all(frame.data(), n + kChunkPrefixSize)) continue;
    std::lock_guard lock(mutex_);
    file_stored_ += n + kChunkPrefixSize;
    raw_total_ += raw;
    stored_total_ += n + kChunkPrefixSize;
  }
  ZSTD_freeCCtx(cctx);
}

}  // namespace tcpsight::recording
