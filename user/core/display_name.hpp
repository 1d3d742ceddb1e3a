// Names that come from outside (process names, container names, pod hostnames, /run/netns entries)
// made safe for a front end to print on a terminal, write in a JSON line or put in a label: one line
// of valid UTF-8 with nothing a terminal acts on, escapes visible.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tcpsight {

// What another process or the kernel named something (a process's comm, a container, a unit), as
// it may reach a terminal, a JSON line or a label: printable UTF-8 stays as it is; each byte of a
// control character (C0 such as ESC and newline, DEL, C1 such as CSI U+009B), of a bidirectional
// override or isolate or line or paragraph separator (U+202A-E, U+2066-9, U+2028-9), and each byte
// that is not part of valid UTF-8 (a comm the kernel cut inside a character) becomes \xNN, lowercase
// hex: "\x1b[2J" for ESC [2J. A backslash stays as it is, so that the result is its own visible form
// (each front end may apply it again); a name may therefore spell "\x1b" itself, harmlessly.
std::string visible_text(std::string_view raw);
// visible_text() with every byte above 0x7f as \xNN too: printable ASCII only, for a screen that
// counts a byte as a column (top).
std::string visible_ascii(std::string_view raw);
// visible_text() cut to at most `max` bytes, never inside a character or an escape.
std::string safe_display_name(std::string_view raw, size_t max = 96);

}  // namespace tcpsight
