// Pieces of trace's lines appended straight to a buffer, each byte for byte what the general tool
// would write (fmt's "{}" and "{:.6f}", inet_ntop): trace formats every event with them, and the
// general tools cost more than the rest of a line together (fmt's fixed precision falls back to
// bignum arithmetic; glibc's inet_ntop prints through sprintf).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <string_view>

namespace tcpsight {

// fmt's append() without its out-of-line call when the buffer has room, as a reused one has.
inline void append_text(fmt::memory_buffer& out, std::string_view text) {
  const size_t size = out.size();
  if (out.capacity() - size < text.size()) {
    out.append(text.data(), text.data() + text.size());
    return;
  }
  std::memcpy(out.data() + size, text.data(), text.size());
  out.resize(size + text.size());
}

// fmt's "{}" of an unsigned integer.
inline void append_decimal(fmt::memory_buffer& out, uint64_t n) {
  const fmt::format_int digits(n);
  append_text(out, {digits.data(), digits.size()});
}

// fmt's "{:.6f}".
void append_fixed6(fmt::memory_buffer& out, double value);
// `ns` / 1e6 as fmt's "{:.6f}" writes that double: milliseconds with their nanoseconds.
void append_ns_as_ms6(fmt::memory_buffer& out, uint64_t ns);
// inet_ntop() of an AF_INET or AF_INET6 address, else "?".
void append_address(fmt::memory_buffer& out, uint8_t family, const uint8_t addr[16]);

}  // namespace tcpsight
