#include "core/line_append.hpp"

#include <sys/socket.h>

#include <cmath>
#include <cstring>

namespace tcpsight {

namespace {

void append_digits_padded6(fmt::memory_buffer& out, uint64_t n) {
  char digits[6];
  for (int i = 5; i >= 0; --i, n /= 10) digits[i] = static_cast<char>('0' + n % 10);
  append_text(out, {digits, 6});
}

void append_fixed6_parts(fmt::memory_buffer& out, uint64_t whole, uint64_t micros) {
  append_decimal(out, whole);
  out.push_back('.');
  append_digits_padded6(out, micros);
}

// The exact value of a finite, non-negative double below 2^53 rounded to 6 decimals: false for an
// exact tie (left to fmt, whose rule for ties this need not copy) and for other values.
bool exact_fixed6(double value, uint64_t& whole, uint64_t& micros) {
  if (!(value >= 0) || value >= 9007199254740992.0) return false;
  int exp = 0;
  const double mantissa = std::frexp(value, &exp);  // value = mantissa * 2^exp, mantissa in [0.5, 1)
  const auto m = static_cast<uint64_t>(std::ldexp(mantissa, 53));
  const int shift = 53 - exp;  // value = m / 2^shift
  if (value == 0 || shift <= 0) {
    whole = static_cast<uint64_t>(value);
    micros = 0;
    return true;
  }
  if (shift > 64) return false;  // below 2^-11: rare enough for fmt
  __extension__ using u128 = unsigned __int128;
  const u128 one = u128{1} << shift;
  whole = static_cast<uint64_t>(u128{m} >> shift);
  const u128 scaled = (u128{m} & (one - 1)) * 1'000'000;  // the fraction in millionths, times 2^shift
  micros = static_cast<uint64_t>(scaled >> shift);
  const u128 rest = scaled & (one - 1);
  const u128 half = one >> 1;
  if (rest == half) return false;
  if (rest > half && ++micros == 1'000'000) {
    micros = 0;
    ++whole;
  }
  return true;
}

void append_ipv4(fmt::memory_buffer& out, const uint8_t a[4]) {
  for (int i = 0; i < 4; ++i) {
    if (i) out.push_back('.');
    append_decimal(out, a[i]);
  }
}

void append_hex16(fmt::memory_buffer& out, unsigned word) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nibble = (word >> shift) & 0xf;
    if (nibble || started || shift == 0) {
      out.push_back(kHex[nibble]);
      started = true;
    }
  }
}

// glibc's inet_ntop6(): the longest run of two or more zero words (the first of equal ones) as
// "::", words in lower-case hex, and an IPv4-compatible or IPv4-mapped address with its IPv4 part
// in dotted decimal.
void append_ipv6(fmt::memory_buffer& out, const uint8_t a[16]) {
  unsigned words[8];
  for (int i = 0; i < 8; ++i) words[i] = static_cast<unsigned>(a[2 * i] << 8 | a[2 * i + 1]);
  int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
  for (int i = 0; i <= 8; ++i) {
    if (i < 8 && words[i] == 0) {
      if (cur_base == -1) cur_base = i, cur_len = 0;
      ++cur_len;
    } else if (cur_base != -1) {
      if (best_base == -1 || cur_len > best_len) best_base = cur_base, best_len = cur_len;
      cur_base = -1;
    }
  }
  if (best_len < 2) best_base = -1;
  for (int i = 0; i < 8; ++i) {
    if (best_base != -1 && i >= best_base && i < best_base + best_len) {
      if (i == best_base) out.push_back(':');
      continue;
    }
    if (i) out.push_back(':');
    if (i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
      append_ipv4(out, a + 12);
      return;
    }
    append_hex16(out, words[i]);
  }
  if (best_base != -1 && best_base + best_len == 8) out.push_back(':');
}

}  // namespace

void append_fixed6(fmt::memory_buffer& out, double value) {
  uint64_t whole = 0, micros = 0;
  if (exact_fixed6(value, whole, micros))
    append_fixed6_parts(out, whole, micros);
  else
    fmt::format_to(fmt::appender(out), "{:.6f}", value);
}

// Below 2^50 ns (13 days) the double nearest ns / 1e6 lies within 2^-23 of it, much nearer than
// half a millionth: rounded to 6 decimals it is ns / 1e6 exactly.
void append_ns_as_ms6(fmt::memory_buffer& out, uint64_t ns) {
  if (ns < (uint64_t{1} << 50))
    append_fixed6_parts(out, ns / 1'000'000, ns % 1'000'000);
  else
    fmt::format_to(fmt::appender(out), "{:.6f}", static_cast<double>(ns) / 1e6);
}

void append_address(fmt::memory_buffer& out, uint8_t family, const uint8_t addr[16]) {
  if (family == AF_INET)
    append_ipv4(out, addr);
  else if (family == AF_INET6)
    append_ipv6(out, addr);
  else
    out.push_back('?');
}

}  // namespace tcpsight
