// Numbers as a person scans them in a narrow column: 950, 1.2k, 34k, 5.6M; 12 ms, 3.4 s.
#pragma once

#include <string>

namespace tcpsight {

std::string human_count(double value);
std::string human_rate(double per_second);  // "1.2k/s"
std::string human_duration(double seconds);

}  // namespace tcpsight
