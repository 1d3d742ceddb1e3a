#include "serve/exposition.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace tcpsight {

namespace {

bool valid_name(std::string_view name, bool colon_allowed) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_allowed && c == ':');
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string escape_help(std::string_view text, ExpositionFormat format) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && format == ExpositionFormat::openmetrics) out += "\\\"";
    else out += c;
  }
  return out;
}

}  // namespace

std::string_view content_type(ExpositionFormat format) {
  return format == ExpositionFormat::openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                                 : "text/plain; version=0.0.4; charset=utf-8";
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_float(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) return fmt::format("{:.1f}", value);
  return fmt::format("{}", value);
}

void ExpositionWriter::gauge(std::string_view name, std::string_view help, std::string_view unit) {
  begin(Kind::gauge, name, help, unit);
}
void ExpositionWriter::counter(std::string_view name, std::string_view help) { begin(Kind::counter, name, help, {}); }
void ExpositionWriter::histogram(std::string_view name, std::string_view help, std::string_view unit) {
  begin(Kind::histogram, name, help, unit);
}
void ExpositionWriter::gauge_histogram(std::string_view name, std::string_view help, std::string_view unit) {
  begin(Kind::gauge_histogram, name, help, unit);
}
void ExpositionWriter::info(std::string_view name, std::string_view help) { begin(Kind::info, name, help, {}); }

void ExpositionWriter::begin(Kind kind, std::string_view name, std::string_view help, std::string_view unit) {
  if (!valid_name(name, true)) throw std::logic_error(fmt::format("invalid metric name '{}'", name));
  if (!seen_.emplace(name).second) throw std::logic_error(fmt::format("metric family '{}' written twice", name));
  if (!unit.empty() && !name.ends_with(std::string("_") + std::string(unit)))
    throw std::logic_error(fmt::format("metric '{}' does not end with its unit '{}'", name, unit));
  kind_ = kind;
  family_ = name;
  open_ = true;

  const bool om = format_ == ExpositionFormat::openmetrics;
  std::string_view type;
  std::string exposed(name);  // the name HELP and TYPE refer to
  switch (kind) {
    case Kind::gauge: type = "gauge"; break;
    case Kind::counter:
      type = "counter";
      if (!om) exposed += "_total";
      break;
    case Kind::histogram: type = "histogram"; break;
    case Kind::gauge_histogram: type = om ? "gaugehistogram" : "histogram"; break;
    case Kind::info:
      type = om ? "info" : "gauge";
      if (!om) exposed += "_info";
      break;
  }
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", exposed, escape_help(help, format_), exposed, type);
  if (om && !unit.empty()) out_ += fmt::format("# UNIT {} {}\n", exposed, unit);
}

void ExpositionWriter::write_sample(std::string_view suffix, const Labels& labels,
                                    const std::pair<std::string_view, std::string>* extra, std::string_view value) {
  out_ += family_;
  out_ += suffix;
  if (!labels.empty() || extra) {
    out_ += '{';
    bool first = true;
    const auto label = [&](std::string_view name, std::string_view v) {
      if (!valid_name(name, false) || name.starts_with("__"))
        throw std::logic_error(fmt::format("invalid label name '{}' on {}", name, family_));
      if (!first) out_ += ',';
      first = false;
      out_ += name;
      out_ += "=\"";
      out_ += escape_label_value(v);
      out_ += '"';
    };
    for (const auto& [name, v] : labels) {
      if (name == "le") throw std::logic_error("label 'le' is reserved for histogram buckets");
      label(name, v);
    }
    if (extra) label(extra->first, extra->second);
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void ExpositionWriter::write_value(const Labels& labels, std::string_view value) {
  if (!open_) throw std::logic_error("sample before any metric family");
  switch (kind_) {
    case Kind::gauge: write_sample("", labels, nullptr, value); break;
    case Kind::counter: write_sample("_total", labels, nullptr, value); break;
    case Kind::info: write_sample("_info", labels, nullptr, value); break;
    default: throw std::logic_error(fmt::format("{} is a histogram: use histogram_sample", family_));
  }
}

void ExpositionWriter::sample(const Labels& labels, double value) { write_value(labels, format_float(value)); }

void ExpositionWriter::histogram_sample(const Labels& labels, const HistogramData& data) {
  if (!open_ || (kind_ != Kind::histogram && kind_ != Kind::gauge_histogram))
    throw std::logic_error("histogram_sample outside a histogram family");
  if (data.counts.size() != data.upper_bounds.size() + 1)
    throw std::logic_error(fmt::format("{}: a histogram needs one count more than bounds", family_));
  for (size_t i = 0; i < data.upper_bounds.size(); ++i)
    if (!std::isfinite(data.upper_bounds[i]) || (i > 0 && !(data.upper_bounds[i] > data.upper_bounds[i - 1])))
      throw std::logic_error(fmt::format("{}: bucket bounds must be finite and increase", family_));
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= data.upper_bounds.size(); ++i) {
    cumulative += data.counts[i];
    const std::pair<std::string_view, std::string> le{
        "le", i < data.upper_bounds.size() ? format_float(data.upper_bounds[i]) : "+Inf"};
    write_sample("_bucket", labels, &le, std::to_string(cumulative));
  }
  const bool om = format_ == ExpositionFormat::openmetrics;
  const bool gauge = kind_ == Kind::gauge_histogram && om;
  // OpenMetrics: the count sample appears if and only if the sum does.
  if (data.sum) write_sample(gauge ? "_gsum" : "_sum", labels, nullptr, format_float(*data.sum));
  if (data.sum || !om) write_sample(gauge ? "_gcount" : "_count", labels, nullptr, std::to_string(cumulative));
}

std::string ExpositionWriter::finish() {
  if (format_ == ExpositionFormat::openmetrics) out_ += "# EOF\n";
  open_ = false;
  return std::move(out_);
}

}  // namespace tcpsight
