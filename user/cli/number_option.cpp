#include "cli/number_option.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

namespace tcpsight {

namespace {

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

// Why `text` is not a number from min to max, or empty when it is one.
std::string real_error(std::string_view text, double min, double max) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || end != text.data() + text.size() ||
      (error != std::errc() && error != std::errc::result_out_of_range))
    return in_quotes(text) + " is not a number";
  if (error == std::errc() && !std::isfinite(value)) return in_quotes(text) + " is not a finite number";
  if (error == std::errc::result_out_of_range || value < min || value > max) return fmt::format("{} is outside {} to {}", in_quotes(text), min, max);
  return {};
}

std::string whole_error(std::string& text, uint64_t min, uint64_t max) {
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  const std::string range = fmt::format("{} to {}", min, max);
  if (!digits) {
    double real = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), real);
    const bool number = !text.empty() && end == text.data() + text.size() && error == std::errc();
    if (number && std::isfinite(real) && real < 0) return in_quotes(text) + " is outside " + range;
    return in_quotes(text) + " is not a whole number (digits only, from " + range + ")";
  }
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || value < min || value > max) return in_quotes(text) + " is outside " + range;
  text = std::to_string(value);
  return {};
}

}  // namespace

CLI::Validator real_in(double min, double max) {
  return CLI::Validator([min, max](std::string& text) { return real_error(text, min, max); },
                        fmt::format("FLOAT in [{} - {}]", min, max));
}

CLI::Validator whole_in(uint64_t min, uint64_t max) {
  return CLI::Validator([min, max](std::string& text) { return whole_error(text, min, max); },
                        fmt::format("UINT in [{} - {}]", min, max));
}

}  // namespace tcpsight
