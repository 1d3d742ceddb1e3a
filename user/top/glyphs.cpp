#include "top/glyphs.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace tcpsight {

namespace {
constexpr std::array<std::string_view, 9> kUtf8Levels = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
constexpr std::array<std::string_view, 9> kAsciiLevels = {" ", ".", ":", "-", "=", "+", "*", "#", "@"};
constexpr std::array<std::string_view, 8> kEighths = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
}  // namespace

const Glyphs& Glyphs::utf8() {
  static const Glyphs g{"→", "…", "↑↓", "│", true};
  return g;
}

const Glyphs& Glyphs::ascii() {
  static const Glyphs g{"->", "~", "Up/Dn", "|", false};
  return g;
}

std::string bar(double fraction, size_t cols, const Glyphs& glyphs) {
  if (cols == 0 || !(fraction > 0)) return {};
  const double clamped = std::min(fraction, 1.0);
  const auto eighths = std::max<size_t>(static_cast<size_t>(std::lround(clamped * static_cast<double>(cols) * 8)), 1);
  if (!glyphs.unicode) {
    std::string out(std::max<size_t>((eighths + 4) / 8, 1), '#');
    return out;
  }
  std::string out;
  for (size_t i = 0; i < eighths / 8; ++i) out += "█";
  out += kEighths[eighths % 8];
  return out;
}

std::string_view level(double fraction, const Glyphs& glyphs) {
  const auto& levels = glyphs.unicode ? kUtf8Levels : kAsciiLevels;
  if (!(fraction > 0)) return levels[0];
  const auto i = static_cast<size_t>(std::lround(std::min(fraction, 1.0) * 8));
  return levels[std::clamp<size_t>(i, 1, 8)];
}

}  // namespace tcpsight
