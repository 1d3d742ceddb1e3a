#include "core/netstat_parse.hpp"

#include <cctype>
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

// "Tcp: ActiveOpens ...": a prefix, then names (a value line has numbers there).
bool is_header(const std::vector<std::string>& row) {
  return row.size() >= 2 && row[0].back() == ':' && std::isalpha(static_cast<unsigned char>(row[1][0]));
}
}  // namespace

KernelCounters parse_snmp_tables(std::string_view text) {
  KernelCounters counters;
  std::istringstream in{std::string(text)};
  // A values line belongs to the header right above it; a stray line must not shift later tables.
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    auto row = words(line);
    if (is_header(row)) {
      names = std::move(row);
      continue;
    }
    const bool pairs = !names.empty() && !row.empty() && row[0] == names[0] && row.size() == names.size();
    if (pairs) {
      const std::string prefix = names[0].substr(0, names[0].size() - 1);
      for (size_t i = 1; i < names.size(); ++i) {
        try {
          counters[prefix + "." + names[i]] = std::stoll(row[i]);
        } catch (const std::exception&) {
          // not a number: leave the counter out rather than guess
        }
      }
    }
    names.clear();
  }
  return counters;
}

}  // namespace tcpsight
