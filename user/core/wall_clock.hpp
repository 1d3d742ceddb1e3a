// Local wall-clock time as the front ends print it.
#pragma once

#include <string>

namespace tcpsight {

// "HH:MM:SS" in local time for seconds since the epoch.
std::string local_hms(double wall_s);

}  // namespace tcpsight
