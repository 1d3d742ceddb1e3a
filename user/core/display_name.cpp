#include "core/display_name.hpp"

#include <cstdint>

namespace tcpsight {

namespace {

// The length of the valid UTF-8 sequence at the start of `s` and its code point; length 0 when
// the first byte starts none (stray continuation, overlong form, surrogate, beyond U+10FFFF, cut).
struct Decoded {
  size_t length = 0;
  uint32_t code_point = 0;
};

Decoded decode_utf8(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) return {1, lead};
  size_t length = 0;
  uint32_t cp = 0, min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1Fu;
    min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0Fu;
    min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07u;
    min = 0x10000;
  } else {
    return {};
  }
  if (s.size() < length) return {};
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (byte(i) & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {length, cp};
}

bool is_unsafe(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||  // C0, DEL, C1
         (cp >= 0x2028 && cp <= 0x202E) ||            // line/paragraph separators, bidi overrides
         (cp >= 0x2066 && cp <= 0x2069);              // bidi isolates
}

// The visible form of `raw`, at most `max` bytes of it.
std::string visible(std::string_view raw, bool ascii_only, size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() < max ? raw.size() : max);
  while (!raw.empty()) {
    const Decoded d = decode_utf8(raw);
    const size_t taken = d.length == 0 ? 1 : d.length;  // an invalid byte is escaped on its own
    const bool escape = d.length == 0 || is_unsafe(d.code_point) || (ascii_only && d.length > 1);
    if (out.size() + (escape ? 4 * taken : taken) > max) break;
    if (escape) {
      for (size_t i = 0; i < taken; ++i) {
        const auto b = static_cast<uint8_t>(raw[i]);
        const char e[] = {'\\', 'x', kHex[b >> 4], kHex[b & 0xf]};
        out.append(e, sizeof e);
      }
    } else {
      out.append(raw.substr(0, taken));
    }
    raw.remove_prefix(taken);
  }
  return out;
}

}  // namespace

std::string visible_text(std::string_view raw) { return visible(raw, false, std::string::npos); }
std::string visible_ascii(std::string_view raw) { return visible(raw, true, std::string::npos); }
std::string safe_display_name(std::string_view raw, size_t max) { return visible(raw, false, max); }

}  // namespace tcpsight
