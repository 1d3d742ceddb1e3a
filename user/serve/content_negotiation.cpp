#include "serve/content_negotiation.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

namespace tcpsight {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The q parameter of one media range ("text/plain;version=0.0.4;q=0.5"); 1 when absent, 0 when malformed.
double quality(std::string_view params) {
  double q = 1;
  while (!params.empty()) {
    const size_t semi = params.find(';');
    const std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      const std::string_view v = p.substr(2);
      const auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), q);
      if (err != std::errc() || end != v.data() + v.size() || q < 0 || q > 1) return 0;
    }
  }
  return q;
}

}  // namespace

ExpositionFormat choose_format(std::string_view accept) {
  double openmetrics = 0, text = 0;
  while (!accept.empty()) {
    const size_t comma = accept.find(',');
    const std::string_view range = trim(accept.substr(0, comma));
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    const size_t semi = range.find(';');
    const std::string type = lower(trim(range.substr(0, semi)));
    const double q = quality(semi == std::string_view::npos ? std::string_view{} : range.substr(semi + 1));
    if (type == "application/openmetrics-text") openmetrics = std::max(openmetrics, q);
    else if (type == "text/plain" || type == "text/*" || type == "*/*") text = std::max(text, q);
  }
  return openmetrics > 0 && openmetrics >= text ? ExpositionFormat::openmetrics : ExpositionFormat::prometheus_text;
}

}  // namespace tcpsight
