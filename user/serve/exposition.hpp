// Writes metric families in the Prometheus text format (0.0.4) or in OpenMetrics 1.0: HELP and
// TYPE lines, escaping, counter `_total` names, cumulative histogram buckets. Knows nothing of TCP.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tcpsight {

enum class ExpositionFormat { prometheus_text, openmetrics };

// The Content-Type header that goes with a format.
std::string_view content_type(ExpositionFormat format);

using Labels = std::vector<std::pair<std::string, std::string>>;

// Observations per bucket (not cumulative): counts[i] holds values <= upper_bounds[i] and above the
// previous bound; counts.back() holds those above the last bound (counts.size() == bounds + 1).
struct HistogramData {
  std::vector<double> upper_bounds;  // increasing, finite
  std::vector<uint64_t> counts;
  std::optional<double> sum;         // left out of the exposition when unknown
};

// "\" "\"" and newline escaped as the formats require inside a label value.
std::string escape_label_value(std::string_view value);
// A float as both formats read it: "+Inf", "NaN", integral values with ".0" (OpenMetrics' canonical
// form for `le`), others in their shortest round-trip form ("2e-06", "0.5").
std::string format_float(double value);

class ExpositionWriter {
 public:
  explicit ExpositionWriter(ExpositionFormat format) : format_(format) {}

  // Each family starts with its HELP and TYPE lines and is followed by its samples. `name` is the
  // family name: for counters without `_total` (added to samples), for info without `_info`.
  // Unit: the base unit the name ends with ("seconds"), or empty; written as # UNIT in OpenMetrics.
  void gauge(std::string_view name, std::string_view help, std::string_view unit = {});
  void counter(std::string_view name, std::string_view help);
  void histogram(std::string_view name, std::string_view help, std::string_view unit = {});
  // A distribution of what exists now (not cumulative over time): OpenMetrics' gaugehistogram,
  // a histogram in the Prometheus text format.
  void gauge_histogram(std::string_view name, std::string_view help, std::string_view unit = {});
  void info(std::string_view name, std::string_view help);

  // One sample of the current gauge, counter or info family.
  void sample(const Labels& labels, double value);
  template <std::unsigned_integral T>
  void sample(const Labels& labels, T value) {
    write_value(labels, std::to_string(static_cast<uint64_t>(value)));
  }
  // All samples of one histogram of the current (gauge) histogram family.
  void histogram_sample(const Labels& labels, const HistogramData& data);

  // The exposition; ends with "# EOF" in OpenMetrics.
  std::string finish();

 private:
  enum class Kind { gauge, counter, histogram, gauge_histogram, info };
  void begin(Kind kind, std::string_view name, std::string_view help, std::string_view unit);
  void write_sample(std::string_view suffix, const Labels& labels, const std::pair<std::string_view, std::string>* extra,
                    std::string_view value);
  void write_value(const Labels& labels, std::string_view value);

  ExpositionFormat format_;
  std::string out_;
  std::string family_;
  Kind kind_ = Kind::gauge;
  bool open_ = false;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace tcpsight
