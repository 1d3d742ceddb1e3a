// Writes a recording's chunks to disk on a thread of its own: the recorder hands over raw blocks
// (BlockBuilder), the writer compresses each chunk into one zstd frame and writes it, and opens the
// next file of a rotation when told to (tcpdump's -C/-W: FILE, FILE.1, ... FILE.N-1, then FILE again).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace tcpsight::recording {

struct WriterOptions {
  std::string path;
  uint32_t max_files = 0;                 // --rotate: files in the ring; 0: no limit
  size_t max_queued_bytes = 64u << 20;    // uncompressed chunks waiting for the disk
  // Level 1: 25% less of the writer's CPU than level 3 on a churn recording, for 2% more bytes
  // (9.8 against 9.6 per event; zstd's negative levels give 10.4 and more).
  int zstd_level = 1;
};

// The name of file `index` of a rotation: the path itself, then path.1, path.2, ...
std::string rotation_file_name(const std::string& path, uint32_t index);

class RecordingWriter {
 public:
  // Creates (or truncates) the first file now, so that a path that cannot be written is an error
  // before anything is loaded; throws UserError. The thread starts with the first chunk, after
  // the recorder has dropped its privileges (which must happen while it runs alone).
  explicit RecordingWriter(WriterOptions options);
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // Hands a chunk (whole blocks) to the writer; false, and nothing taken, when the queue is full.
  bool submit(std::string chunk);
  // What was submitted so far ends the current file; the next chunk starts the next one.
  void next_file();
  // Compressed bytes of the current file that are on disk or waiting (queued chunks counted as
  // they will be at about the ratio so far): what --size is checked against.
  uint64_t file_bytes() const;
  // Writes what is queued, closes the file and ends the thread; throws UserError on a write error.
  void finish();
  // The first write error (disk full, ...), if any: from then on nothing is written.
  std::optional<std::string> error() const;
  uint64_t files_started() const { return files_started_.load(); }
  uint64_t raw_bytes() const { return raw_total_.load(); }
  uint64_t stored_bytes() const { return stored_total_.load(); }

 private:
  struct Item {
    std::string chunk;  // empty: start the next file
  };
  void start();  // with mutex_ held, or before the thread exists
  void run();
  void open_file(uint32_t index);
  bool write_all(const char* data, size_t size);

  WriterOptions options_;
  int fd_ = -1;
  uint32_t index_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  size_t queued_bytes_ = 0;
  uint32_t rotations_queued_ = 0;  // next_file() calls the thread has not carried out yet
  bool finishing_ = false;
  std::optional<std::string> error_;
  std::atomic<uint64_t> file_stored_{0};
  std::atomic<uint64_t> files_started_{0};
  std::atomic<uint64_t> raw_total_{0};
  std::atomic<uint64_t> stored_total_{0};
};

}  // namespace tcpsight::recording
