#include "top/human_units.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

namespace tcpsight {

namespace {
double rounded_to(double v, int decimals) {
  const double scale = decimals ? 10 : 1;
  return std::round(v * scale) / scale;
}
// Digits after the point as shown: counts below 1000 are exact (one decimal for fractions below 100,
// so a rate reads "2.5/s" but "300/s"), scaled values keep one digit below 10.
int decimals_for(double v, bool scaled) {
  if (!scaled) return v == std::floor(v) || std::fabs(rounded_to(v, 1)) >= 100 ? 0 : 1;
  return std::fabs(rounded_to(v, 1)) < 10 ? 1 : 0;
}
}  // namespace

std::string human_count(double value) {
  static constexpr const char* kSuffix[] = {"", "k", "M", "G", "T"};
  size_t i = 0;
  double v = value;
  // Decide the unit on the value as printed, so rounding never shows "1000k" for 999,999.
  while (i + 1 < std::size(kSuffix) && std::fabs(rounded_to(v, decimals_for(v, i > 0))) >= 1000) {
    v /= 1000;
    ++i;
  }
  return fmt::format("{:.{}f}{}", v, decimals_for(v, i > 0), kSuffix[i]);
}

std::string human_rate(double per_second) { return human_count(per_second) + "/s"; }

std::string human_duration(double seconds) {
  // Thresholds compare the value as printed, so 0.9996 s reads "1.0 s", not "1000 ms".
  if (std::round(seconds * 1e6) < 1000) return fmt::format("{:.0f} us", seconds * 1e6);
  if (std::round(seconds * 1e3) < 1000) return fmt::format("{:.0f} ms", seconds * 1e3);
  if (std::round(seconds * 10) < 1200) return fmt::format("{:.1f} s", seconds);
  if (std::round(seconds / 60) < 120) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{:.1f} h", seconds / 3600);
}

std::string human_signed_rate(double per_second) {
  if (per_second == 0) return "0/s";
  return (per_second > 0 ? "+" : "") + human_rate(per_second);
}

std::string human_uptime(double seconds) {
  const auto s = static_cast<long long>(seconds < 0 ? 0 : seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

}  // namespace tcpsight
