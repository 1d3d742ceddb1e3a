#include "core/netstat_parse.hpp"

#include <sstream>
#include <vector>

namespace tcpsight {

namespace {
std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}
}  // namespace

KernelCounters parse_snmp_tables(std::string_view text) {
  KernelCounters counters;
  std::istringstream in{std::string(text)};
  std::string names_line, values_line;
  while (std::getline(in, names_line) && std::getline(in, values_line)) {
    const auto names = words(names_line);
    const auto values = words(values_line);
    if (names.empty() || names.size() != values.size() || names[0] != values[0] || names[0].back() != ':')
      continue;
    const std::string prefix = names[0].substr(0, names[0].size() - 1);
    for (size_t i = 1; i < names.size(); ++i) {
      try {
        counters[prefix + "." + names[i]] = std::stoll(values[i]);
      } catch (const std::exception&) {
        // not a number: leave the counter out rather than guess
      }
    }
  }
  return counters;
}

}  // namespace tcpsight
