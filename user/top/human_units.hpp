// Numbers as a person scans them in a narrow column: 950, 1.2k, 34k, 5.6M; 12 ms, 3.4 s.
#pragma once

#include <string>

namespace tcpsight {

std::string human_count(double value);
std::string human_rate(double per_second);  // "1.2k/s"
std::string human_duration(double seconds);
// A change per second with its sign: "+12/s", "-3.5/s", "0/s".
std::string human_signed_rate(double per_second);
// How long something has run, at a glance: "42s", "5m07s", "3h05m", "2d03h".
std::string human_uptime(double seconds);

}  // namespace tcpsight
