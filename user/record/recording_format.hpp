// The layout of a tcpsight recording (`tcpsight record -w`), shared by the writer and the reader;
// docs/recording-format.md describes it for other readers.
//
// A file is a 16-byte file header, then chunks. A chunk is an 8-byte prefix (compressed and
// uncompressed length, little-endian u32) and one zstd frame with its content checksum. A chunk's
// content is a run of whole blocks, each a 16-byte block header and its payload. Every file of a
// rotation starts with a HEADER block, so each one can be replayed on its own.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tcpsight/abi.h"

namespace tcpsight::recording {

// "TSREC", CR LF (caught when a text-mode copy mangles line ends), SUB (stops `type` on DOS); the
// version fields follow.
inline constexpr char kMagic[8] = {'T', 'S', 'R', 'E', 'C', '\r', '\n', '\x1a'};
inline constexpr size_t kFileHeaderSize = 16;
// The format's version. A reader reads every file whose version it knows; one from a newer
// tcpsight whose `readable_by` is at most this one's version is read too, its unknown blocks skipped.
inline constexpr uint16_t kFormatVersion = 1;

struct FileHeader {  // as stored: magic, then little-endian u16 version, u16 readable_by, u32 zero
  uint16_t version = kFormatVersion;
  uint16_t readable_by = kFormatVersion;  // the oldest reader version that can make sense of the file
};

inline constexpr size_t kChunkPrefixSize = 8;
// A chunk holds at most this much uncompressed: the writer seals one when it is this full or a
// flush is due, and a --size limit can be passed by at most one chunk.
inline constexpr size_t kMaxChunkBytes = 256u << 10;

inline constexpr size_t kBlockHeaderSize = 16;

// Block types. A reader skips a type it does not know; a layout changes only with a new version of
// the block (BlockHeader::version), and readers skip versions they do not know.
enum class BlockType : uint16_t {
  header = 1,           // JSON: host, kernel, tcpsight version, boot id, clock base, options, kernel facts
  counters = 2,         // the summed ts_counters and the kernel's missed hits
  snapshot = 3,         // one namespace's iterator pass: ts_sock_record array
  events = 4,           // ring-buffer records as delivered, byte-shuffled ts_event array
  loss = 5,             // running totals of what did not reach the file
  kernel_counters = 6,  // /proc/net/{snmp,netstat} and ip_local_port_range, "key value" lines
  owners = 7,           // an owner scan: ts_owner_record array
  end = 8,              // JSON: why the file ends (duration, signal, size with next_file)
  // record -A and --netns (a report per namespace); files of tcpsight's own namespace have none,
  // and an older reader skips them: it sees the host-wide counters and the events, no snapshot.
  netns_snapshot = 9,   // one namespace's iterator pass: as snapshot, read inside that namespace
  namespaces = 10,      // JSON: the namespaces found at one refresh, each with its /proc counters
  netns_counters = 11,  // every namespace's exact counters: NetnsCountersRecord array
};
inline constexpr uint16_t kLastBlockType = static_cast<uint16_t>(BlockType::netns_counters);

struct BlockHeader {  // as stored: little-endian u16 type, u16 version, u32 payload length, u64 time
  BlockType type{};
  uint16_t version = 1;
  uint32_t length = 0;   // payload bytes after this header
  uint64_t mono_ns = 0;  // CLOCK_MONOTONIC when the block's content was read (bpf_ktime_get_ns's clock)
};

// Payload prefixes. Arrays carry their element size, so that a reader takes what it knows of a
// longer record from a newer tcpsight and zero-fills what a shorter, older one lacks.
struct CountersPrefix {   // then `size` bytes of ts_counters
  uint32_t size = 0;
  uint32_t zero = 0;
  uint64_t missed = 0;    // Tracer::missed_events(): hits the kernel's recursion guard skipped
};
struct ArrayPrefix {      // snapshot, events and owners: then `count` records of `size` bytes
  uint32_t netns = 0;     // snapshot and events: the namespace recorded; owners: 0
  uint32_t size = 0;
  uint32_t count = 0;
  uint32_t zero = 0;
  uint64_t started_ns = 0;  // owners: when the scan began; snapshot: when the pass ended; events: the first record's ts
};
struct LossPayload {
  uint64_t ring_lost = 0;       // ts_counters::events_lost: records the ring buffer had no room for
  uint64_t kernel_missed = 0;   // hits the kernel skipped (recursion guard): in no count
  uint64_t writer_dropped = 0;  // records the recorder took but could not write in time (queue full)
};

struct NetnsCountersRecord {  // a netns_counters record: the namespace's inode, then its counters
  uint32_t netns = 0;
  uint32_t zero = 0;
  ts_netns_counters counters{};
};

static_assert(sizeof(CountersPrefix) == 16 && sizeof(ArrayPrefix) == 24 && sizeof(LossPayload) == 24);

}  // namespace tcpsight::recording
