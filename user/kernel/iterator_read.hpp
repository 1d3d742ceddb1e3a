// Reads a BPF iterator to its end: one pass over what the iterator program walks (sockets, files).
#pragma once

#include <cstddef>
#include <vector>

#include "kernel/record_decode.hpp"

namespace tcpsight {

// Creates an iterator from the attached iterator link `link_fd` and reads all it writes into
// `buffer` (grown as needed and kept for the next pass); returns the number of bytes read. `what`
// names the pass in errors ("a socket snapshot").
size_t read_iterator(int link_fd, std::vector<char>& buffer, const char* what);

// The same, as records of a fixed-size type, reusing `records`' memory.
template <class Record>
void read_iterator_records(int link_fd, std::vector<char>& buffer, const char* what, std::vector<Record>& records) {
  const size_t used = read_iterator(link_fd, buffer, what);
  decode_records(buffer.data(), used, records);
}

}  // namespace tcpsight
