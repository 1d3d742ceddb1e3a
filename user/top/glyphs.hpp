// The few characters the view draws with, in UTF-8 or plain ASCII (for terminals and locales
// without UTF-8).
#pragma once

#include <string>
#include <string_view>

namespace tcpsight {

struct Glyphs {
  std::string_view arrow;      // "→" / "->"
  std::string_view ellipsis;   // "…" / "~"
  std::string_view up_down;    // "↑↓" / "Up/Dn"
  std::string_view separator;  // "│" / "|"
  bool unicode = false;

  static const Glyphs& utf8();
  static const Glyphs& ascii();
};

// A horizontal bar of fraction (0..1) of `cols` columns: full blocks and an eighth-block tip in
// UTF-8, '#' in ASCII. At least one column when fraction > 0 and cols > 0. Not padded.
std::string bar(double fraction, size_t cols, const Glyphs& glyphs);
// One column for a level 0..1: " ▁▂▃▄▅▆▇█" in UTF-8, " .:-=+*#@" in ASCII; a non-zero level never
// shows as blank.
std::string_view level(double fraction, const Glyphs& glyphs);

}  // namespace tcpsight
