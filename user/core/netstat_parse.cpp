#include "core/netstat_parse.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

namespace tcpsight {

namespace {
// The whitespace-separated words of a line, as views into it (front ends parse these files for
// every namespace at every refresh: no stream, no copy).
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    const size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// "Tcp: ActiveOpens ...": a prefix, then names (a value line has numbers there). A bare ":" names
// no table, so it is no header (fuzzing found ": s" / ": 3" giving a counter called ".s").
bool is_header(const std::vector<std::string_view>& row) {
  return row.size() >= 2 && row[0].size() >= 2 && row[0].back() == ':' &&
         std::isalpha(static_cast<unsigned char>(row[1][0]));
}

std::optional<int64_t> number(std::string_view text) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}
}  // namespace

KernelCounters parse_snmp_tables(std::string_view text, std::span<const std::string_view> tables) {
  KernelCounters counters;
  // A values line belongs to the header right above it; a stray line must not shift later tables.
  std::vector<std::string_view> names;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    auto row = words(line);
    if (is_header(row)) {
      names = std::move(row);
      continue;
    }
    const bool pairs = !names.empty() && !row.empty() && row[0] == names[0] && row.size() == names.size();
    const std::string_view prefix = pairs ? names[0].substr(0, names[0].size() - 1) : std::string_view();
    const bool wanted = tables.empty() || std::find(tables.begin(), tables.end(), prefix) != tables.end();
    if (pairs && wanted) {
      for (size_t i = 1; i < names.size(); ++i)
        if (const auto v = number(row[i])) counters[std::string(prefix) + "." + std::string(names[i])] = *v;
      // not a number: the counter is left out rather than guessed
    }
    names.clear();
  }
  return counters;
}

}  // namespace tcpsight
