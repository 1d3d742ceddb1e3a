// The exposition writer: HELP and TYPE before samples, escaping, counter and info naming in both
// formats, cumulative histogram buckets, and the mistakes it refuses to write.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "serve/exposition.hpp"
#include "serve_exposition_parse.hpp"

namespace tcpsight {
namespace {

using test::parse_exposition;

TEST(ExpositionFormatFloat, IntegralValuesCarryADecimalPointOthersTheirShortestForm) {
  EXPECT_EQ(format_float(5), "5.0");
  EXPECT_EQ(format_float(0), "0.0");
  EXPECT_EQ(format_float(0.5), "0.5");
  EXPECT_EQ(format_float(2e-6), "2e-06");
  EXPECT_EQ(format_float(2147.483648), "2147.483648");
  EXPECT_EQ(format_float(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_float(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_float(std::nan("")), "NaN");
}

TEST(ExpositionEscaping, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)" "\n" "d"), R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("[::1]:9977"), "[::1]:9977");
}

TEST(ExpositionText, GaugeHasHelpAndTypeThenItsSamples) {
  ExpositionWriter w(ExpositionFormat::prometheus_text);
  w.gauge("demo_sockets", "Sockets.\nSecond line \\ with a backslash.");
  w.sample({{"state", "ESTABLISHED"}}, uint64_t{3});
  w.sample({{"state", "odd \"name\"\n"}}, 0.25);
  EXPECT_EQ(w.finish(),
            "# HELP demo_sockets Sockets.\\nSecond line \\\\ with a backslash.\n"
            "# TYPE demo_sockets gauge\n"
            "demo_sockets{state=\"ESTABLISHED\"} 3\n"
            "demo_sockets{state=\"odd \\\"name\\\"\\n\"} 0.25\n");
}

TEST(ExpositionText, CounterFamilyAndSamplesEndInTotal) {
  ExpositionWriter w(ExpositionFormat::prometheus_text);
  w.counter("demo_resets", "Resets.");
  w.sample({{"direction", "sent"}}, uint64_t{7});
  EXPECT_EQ(w.finish(), "# HELP demo_resets_total Resets.\n# TYPE demo_resets_total counter\ndemo_resets_total{direction=\"sent\"} 7\n");
}

TEST(ExpositionOpenMetrics, CounterFamilyIsNamedWithoutTotalAndTheTextEndsWithEof) {
  ExpositionWriter w(ExpositionFormat::openmetrics);
  w.counter("demo_resets", "Resets \"both\" ways.");
  w.sample({}, uint64_t{7});
  w.info("demo_build", "Build.");
  w.sample({{"version", "1.2"}}, uint64_t{1});
  EXPECT_EQ(w.finish(),
            "# HELP demo_resets Resets \\\"both\\\" ways.\n# TYPE demo_resets counter\ndemo_resets_total 7\n"
            "# HELP demo_build Build.\n# TYPE demo_build info\ndemo_build_info{version=\"1.2\"} 1\n"
            "# EOF\n");
}

TEST(ExpositionText, InfoIsAGaugeNamedInfo) {
  ExpositionWriter w(ExpositionFormat::prometheus_text);
  w.info("demo_build", "Build.");
  w.sample({{"version", "1.2"}}, uint64_t{1});
  EXPECT_EQ(w.finish(), "# HELP demo_build_info Build.\n# TYPE demo_build_info gauge\ndemo_build_info{version=\"1.2\"} 1\n");
}

HistogramData three_buckets() { return {{0.5, 1, 2}, {2, 0, 3, 1}, 4.75}; }

TEST(ExpositionHistogram, BucketsAreCumulativeAndInfEqualsCount) {
  ExpositionWriter w(ExpositionFormat::prometheus_text);
  w.histogram("demo_latency_seconds", "Latency.", "seconds");
  w.histogram_sample({{"side", "client"}}, three_buckets());
  const auto e = parse_exposition(w.finish());
  EXPECT_EQ(e.families.at("demo_latency_seconds").type, "histogram");
  EXPECT_EQ(e.value("demo_latency_seconds_bucket", {{"side", "client"}, {"le", "0.5"}}), "2");
  EXPECT_EQ(e.value("demo_latency_seconds_bucket", {{"side", "client"}, {"le", "1.0"}}), "2");
  EXPECT_EQ(e.value("demo_latency_seconds_bucket", {{"side", "client"}, {"le", "2.0"}}), "5");
  EXPECT_EQ(e.value("demo_latency_seconds_bucket", {{"side", "client"}, {"le", "+Inf"}}), "6");
  EXPECT_EQ(e.value("demo_latency_seconds_count", {{"side", "client"}}), "6");
  EXPECT_EQ(e.value("demo_latency_seconds_sum", {{"side", "client"}}), "4.75");
  EXPECT_TRUE(e.families.at("demo_latency_seconds").unit.empty()) << "no UNIT line in the text format";
}

TEST(ExpositionHistogram, WithoutASumOpenMetricsLeavesOutSumAndCountTheTextFormatKeepsCount) {
  HistogramData h = three_buckets();
  h.sum.reset();
  ExpositionWriter om(ExpositionFormat::openmetrics);
  om.histogram("demo_latency_seconds", "Latency.", "seconds");
  om.histogram_sample({}, h);
  const auto e = parse_exposition(om.finish());
  EXPECT_EQ(e.families.at("demo_latency_seconds").unit, "seconds");
  EXPECT_EQ(e.count("demo_latency_seconds_sum"), 0u);
  EXPECT_EQ(e.count("demo_latency_seconds_count"), 0u);
  EXPECT_EQ(e.value("demo_latency_seconds_bucket", {{"le", "+Inf"}}), "6");

  ExpositionWriter text(ExpositionFormat::prometheus_text);
  text.histogram("demo_latency_seconds", "Latency.");
  text.histogram_sample({}, h);
  const auto t = parse_exposition(text.finish());
  EXPECT_EQ(t.count("demo_latency_seconds_sum"), 0u);
  EXPECT_EQ(t.value("demo_latency_seconds_count"), "6");
}

TEST(ExpositionGaugeHistogram, IsGaugehistogramInOpenMetricsAndHistogramInText) {
  ExpositionWriter om(ExpositionFormat::openmetrics);
  om.gauge_histogram("demo_remaining_seconds", "Remaining.", "seconds");
  om.histogram_sample({}, three_buckets());
  const auto e = parse_exposition(om.finish());
  EXPECT_EQ(e.families.at("demo_remaining_seconds").type, "gaugehistogram");
  EXPECT_EQ(e.value("demo_remaining_seconds_gcount"), "6");
  EXPECT_EQ(e.value("demo_remaining_seconds_gsum"), "4.75");
  EXPECT_TRUE(e.eof);

  ExpositionWriter text(ExpositionFormat::prometheus_text);
  text.gauge_histogram("demo_remaining_seconds", "Remaining.", "seconds");
  text.histogram_sample({}, three_buckets());
  const auto t = parse_exposition(text.finish());
  EXPECT_EQ(t.families.at("demo_remaining_seconds").type, "histogram");
  EXPECT_EQ(t.value("demo_remaining_seconds_count"), "6");
  EXPECT_EQ(t.value("demo_remaining_seconds_sum"), "4.75");
}

TEST(ExpositionMistakes, AreRefusedInsteadOfWritten) {
  ExpositionWriter w(ExpositionFormat::prometheus_text);
  EXPECT_THROW(w.sample({}, 1.0), std::logic_error) << "sample before a family";
  EXPECT_THROW(w.gauge("9starts_with_digit", "x"), std::logic_error);
  EXPECT_THROW(w.gauge("has-dash", "x"), std::logic_error);
  w.gauge("demo_ok", "x");
  EXPECT_THROW(w.gauge("demo_ok", "again"), std::logic_error) << "a family twice";
  EXPECT_THROW(w.sample({{"le", "1"}}, 1.0), std::logic_error) << "le belongs to histograms";
  EXPECT_THROW(w.sample({{"bad-label", "1"}}, 1.0), std::logic_error);
  EXPECT_THROW(w.sample({{"__reserved", "1"}}, 1.0), std::logic_error);
  EXPECT_THROW(w.histogram_sample({}, three_buckets()), std::logic_error) << "histogram data on a gauge";
  EXPECT_THROW(w.histogram("demo_latency", "x", "seconds"), std::logic_error) << "name must end with its unit";
  w.histogram("demo_size_bytes", "x");
  EXPECT_THROW(w.histogram_sample({}, HistogramData{{1, 2}, {1, 1}, std::nullopt}), std::logic_error)
      << "counts must be one more than bounds";
  EXPECT_THROW(w.histogram_sample({}, HistogramData{{2, 1}, {1, 1, 1}, std::nullopt}), std::logic_error)
      << "bounds must increase";
}

}  // namespace
}  // namespace tcpsight
