// What `tcpsight serve` reads from users and scrapers: --listen and the Accept header.
#include <gtest/gtest.h>

#include "serve/content_negotiation.hpp"
#include "serve/listen_address.hpp"

namespace tcpsight {
namespace {

TEST(ListenAddress, AcceptsNumericIpv4AndBracketedIpv6WithAPort) {
  const auto v4 = parse_listen_address("127.0.0.1:9977");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9977);
  EXPECT_FALSE(v4->ipv6);
  EXPECT_EQ(v4->text(), "127.0.0.1:9977");

  const auto v6 = parse_listen_address("[::1]:9977");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->text(), "[::1]:9977");

  const auto any = parse_listen_address("0.0.0.0:0");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->port, 0) << "port 0: the kernel picks one";
  EXPECT_TRUE(parse_listen_address("[::]:65535"));
}

TEST(ListenAddress, RejectsWhatIsNotAddrColonPort) {
  for (const char* bad : {"", "9977", ":9977", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:99a", "localhost:9977", "::1:9977", "[::1]", "[::1]9977", "[::1]:",
                          "[127.0.0.1]:80", "256.0.0.1:80", "127.0.0.1:80:80", "[::1]:9977x", " 127.0.0.1:80"})
    EXPECT_FALSE(parse_listen_address(bad)) << "'" << bad << "'";
}

TEST(ContentNegotiation, PrometheusDefaultAcceptHeaderGetsOpenMetrics) {
  EXPECT_EQ(choose_format("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
                          "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            ExpositionFormat::openmetrics);
  EXPECT_EQ(choose_format("Application/OpenMetrics-Text; version=0.0.1"), ExpositionFormat::openmetrics);
}

TEST(ContentNegotiation, EverythingElseGetsTheTextFormat) {
  EXPECT_EQ(choose_format(""), ExpositionFormat::prometheus_text) << "curl without -H";
  EXPECT_EQ(choose_format("*/*"), ExpositionFormat::prometheus_text);
  EXPECT_EQ(choose_format("text/plain;version=0.0.4"), ExpositionFormat::prometheus_text);
  EXPECT_EQ(choose_format("application/openmetrics-text;q=0.5,text/plain"), ExpositionFormat::prometheus_text);
  EXPECT_EQ(choose_format("application/openmetrics-text;q=0"), ExpositionFormat::prometheus_text) << "q=0: not acceptable";
  EXPECT_EQ(choose_format("application/openmetrics-text;q=banana"), ExpositionFormat::prometheus_text);
  EXPECT_EQ(choose_format("application/json"), ExpositionFormat::prometheus_text);
}

}  // namespace
}  // namespace tcpsight
