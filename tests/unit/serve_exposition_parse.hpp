// A strict reader of the exposition text tcpsight serve writes, for the unit tests: it checks the
// structure (every sample belongs to a family declared by HELP and TYPE before it) and hands back
// families and samples to assert on.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace tcpsight::test {

struct ParsedSample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

struct ParsedFamily {
  std::string help, type, unit;
};

struct ParsedExposition {
  std::map<std::string, ParsedFamily> families;  // by the name in HELP/TYPE
  std::vector<ParsedSample> samples;
  bool eof = false;

  // The sample with exactly these labels, if any.
  std::optional<std::string> value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples)
      if (s.name == name && s.labels == labels) return s.value;
    return std::nullopt;
  }
  size_t count(const std::string& name) const {
    size_t n = 0;
    for (const auto& s : samples) n += s.name == name;
    return n;
  }
};

inline std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char c = s[++i];
      out += c == 'n' ? '\n' : c;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The family a sample name belongs to, given the families declared so far.
inline std::optional<std::string> family_of(const std::string& sample, const std::map<std::string, ParsedFamily>& families) {
  if (families.count(sample)) return sample;
  for (const char* suffix : {"_total", "_bucket", "_sum", "_count", "_gsum", "_gcount", "_info"}) {
    const std::string s(suffix);
    if (sample.size() > s.size() && sample.ends_with(s)) {
      const std::string base = sample.substr(0, sample.size() - s.size());
      if (families.count(base)) return base;
    }
  }
  return std::nullopt;
}

inline ParsedExposition parse_exposition(const std::string& text) {
  ParsedExposition out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    EXPECT_FALSE(out.eof) << "text after # EOF: " << line;
    if (line == "# EOF") {
      out.eof = true;
      continue;
    }
    if (line.starts_with("# ")) {
      std::istringstream words(line.substr(2));
      std::string keyword, name;
      words >> keyword >> name;
      std::string rest;
      std::getline(words, rest);
      if (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
      ParsedFamily& f = out.families[name];
      if (keyword == "HELP") f.help = unescape(rest);
      else if (keyword == "TYPE") f.type = rest;
      else if (keyword == "UNIT") f.unit = rest;
      else ADD_FAILURE() << "unknown comment: " << line;
      continue;
    }
    EXPECT_FALSE(line.empty()) << "empty line in exposition";
    if (line.empty()) continue;
    ParsedSample s;
    size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (i != std::string::npos && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        const std::string label = line.substr(i, eq - i);
        EXPECT_EQ(line[eq + 1], '"') << line;
        std::string raw;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\') raw += line[j++];
          raw += line[j];
        }
        EXPECT_TRUE(s.labels.emplace(label, unescape(raw)).second) << "label twice: " << line;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // '}'
    }
    EXPECT_EQ(line[i], ' ') << line;
    s.value = line.substr(i + 1);
    const auto family = family_of(s.name, out.families);
    EXPECT_TRUE(family.has_value()) << "sample of an undeclared family: " << line;
    if (family) {
      EXPECT_FALSE(out.families[*family].help.empty()) << "no HELP for " << *family;
      EXPECT_FALSE(out.families[*family].type.empty()) << "no TYPE for " << *family;
    }
    out.samples.push_back(std::move(s));
  }
  return out;
}

}  // namespace tcpsight::test
