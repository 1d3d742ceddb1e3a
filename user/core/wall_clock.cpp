#include "core/wall_clock.hpp"

#include <ctime>

namespace tcpsight {

std::string local_hms(double wall_s) {
  const auto secs = static_cast<time_t>(wall_s);
  tm local{};
  localtime_r(&secs, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &local);
  return buf;
}

}  // namespace tcpsight
