#include "core/kernel_release.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace tcpsight {

std::optional<KernelVersion> parse_kernel_release(const std::string& release) {
  KernelVersion v;
  char dot = 0;
  std::istringstream in(release);
  if (!(in >> v.major >> dot >> v.minor) || dot != '.' || v.major <= 0 || v.minor < 0) return std::nullopt;
  return v;
}

std::optional<unsigned> hz_from_config(const std::string& config_text) {
  std::istringstream in(config_text);
  for (std::string line; std::getline(in, line);) {
    unsigned hz = 0;
    char rest = 0;
    if (std::sscanf(line.c_str(), "CONFIG_HZ=%u%c", &hz, &rest) == 1 && hz > 0) return hz;
  }
  return std::nullopt;
}

std::optional<unsigned> hz_from_jiffies(uint64_t jiffies64, double monotonic_seconds) {
  const double ticks = static_cast<double>(jiffies64) - 4294967296.0;
  const double seconds = monotonic_seconds - 300.0;
  if (std::fabs(seconds) < 10) return std::nullopt;
  const double measured = ticks / seconds;
  for (unsigned hz : {100u, 250u, 300u, 1000u})
    if (std::fabs(measured - hz) <= 0.02 * hz) return hz;
  return std::nullopt;
}

}  // namespace tcpsight
