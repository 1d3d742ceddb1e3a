#include "top/human_units.hpp"

#include <fmt/format.h>

#include <cmath>

namespace tcpsight {

std::string human_count(double value) {
  const double a = std::fabs(value);
  if (a < 1000) return a == std::floor(a) ? fmt::format("{:.0f}", value) : fmt::format("{:.1f}", value);
  static constexpr const char* kSuffix[] = {"k", "M", "G", "T"};
  int i = -1;
  double v = value;
  while (std::fabs(v) >= 1000 && i < 3) {
    v /= 1000;
    ++i;
  }
  return std::fabs(v) < 10 ? fmt::format("{:.1f}{}", v, kSuffix[i]) : fmt::format("{:.0f}{}", v, kSuffix[i]);
}

std::string human_rate(double per_second) { return human_count(per_second) + "/s"; }

std::string human_duration(double seconds) {
  if (seconds < 1e-3) return fmt::format("{:.0f} us", seconds * 1e6);
  if (seconds < 1) return fmt::format("{:.0f} ms", seconds * 1e3);
  if (seconds < 120) return fmt::format("{:.1f} s", seconds);
  if (seconds < 7200) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.1f} h", seconds / 3600);
}

}  // namespace tcpsight
