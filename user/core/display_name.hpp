// Names that come from outside (container names, pod hostnames, /run/netns entries) made safe for a
// front end to print on a terminal or put in a label: one line of valid UTF-8 of bounded length.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tcpsight {

// `raw` with every control character (C0, DEL, C1: newlines, ESC of ANSI sequences), every
// bidirectional override or isolate and line or paragraph separator (U+202A-E, U+2066-9, U+2028-9)
// and every byte that is not part of valid UTF-8 replaced by '?'; then cut to at most `max` bytes
// at a character boundary. Printable characters stay, quotes and backslashes included: the formats
// that give them meaning escape them (the exposition's label values, JSON).
std::string safe_display_name(std::string_view raw, size_t max = 96);

}  // namespace tcpsight
