// Turns the bytes the kernel hands over (a BPF iterator's output, a ring buffer record) into the
// fixed-size records of tcpsight/abi.h. Pure: no kernel call, so a fuzz target feeds it any bytes.
#pragma once

#include <cstddef>
#include <cstring>
#include <optional>
#include <vector>

#include "tcpsight/abi.h"

namespace tcpsight {

// The whole records in `bytes[0, used)`, reusing `records`' memory; a partial record at the end
// (never written by our iterator programs) is left out.
template <class Record>
void decode_records(const char* bytes, size_t used, std::vector<Record>& records) {
  records.resize(used / sizeof(Record));
  if (!records.empty()) std::memcpy(records.data(), bytes, records.size() * sizeof(Record));
}

// One ring buffer record as an event; nullopt when it is shorter than one. A longer record (a
// newer kernel side) is read up to our size.
inline std::optional<ts_event> decode_event(const void* data, size_t size) {
  if (size < sizeof(ts_event)) return std::nullopt;
  ts_event e;
  std::memcpy(&e, data, sizeof e);
  return e;
}

}  // namespace tcpsight
