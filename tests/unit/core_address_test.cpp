// Addresses as users type them (--addr) and as tcpsight prints them.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "core/address.hpp"

namespace tcpsight {
namespace {

TEST(Address, ParsesIPv4) {
  const auto a = parse_address("192.168.1.20");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family, AF_INET);
  EXPECT_EQ(a->bytes[0], 192);
  EXPECT_EQ(a->bytes[1], 168);
  EXPECT_EQ(a->bytes[2], 1);
  EXPECT_EQ(a->bytes[3], 20);
  for (size_t i = 4; i < 16; ++i) EXPECT_EQ(a->bytes[i], 0) << "byte " << i;
}

TEST(Address, ParsesIPv6PlainAndBracketed) {
  const auto plain = parse_address("2001:db8::7");
  const auto bracketed = parse_address("[2001:db8::7]");
  ASSERT_TRUE(plain);
  ASSERT_TRUE(bracketed);
  EXPECT_EQ(plain->family, AF_INET6);
  EXPECT_EQ(*plain, *bracketed);
  EXPECT_EQ(plain->bytes[0], 0x20);
  EXPECT_EQ(plain->bytes[1], 0x01);
  EXPECT_EQ(plain->bytes[15], 0x07);
  EXPECT_EQ(parse_address("::1")->bytes[15], 1);
}

TEST(Address, RejectsWhatIsNoAddress) {
  for (const char* bad : {"", "[]", "1.2.3", "10.0.0.256", "10.0.0.1:80", "[::1]:80", "[::1", "::1]", "example.org",
                          "::g", " 10.0.0.1", "1:2:3:4:5:6:7:8:9"})
    EXPECT_EQ(parse_address(bad), std::nullopt) << '"' << bad << '"';
}

TEST(Address, FormatsAsUsersWriteIt) {
  EXPECT_EQ(format_address(*parse_address("10.0.0.1")), "10.0.0.1");
  EXPECT_EQ(format_address(*parse_address("2001:0db8:0000::0001")), "2001:db8::1");
  EXPECT_EQ(format_address(*parse_address("::ffff:10.0.0.1")), "::ffff:10.0.0.1");
  EXPECT_EQ(format_address(IpAddress{}), "?") << "no family: unknown, not a made-up address";
}

TEST(Address, EndpointsBracketIPv6) {
  EXPECT_EQ(format_endpoint(*parse_address("::1"), 80), "[::1]:80");
  EXPECT_EQ(format_endpoint(*parse_address("127.0.0.1"), 8080), "127.0.0.1:8080");
  EXPECT_EQ(format_endpoint(*parse_address("::"), 0), "[::]:0");
  EXPECT_EQ(format_endpoint(*parse_address("10.1.2.3"), 65535), "10.1.2.3:65535");
}

TEST(Address, FromRawTakesOnlyTheFamilysBytes) {
  uint8_t raw[16];
  for (uint8_t i = 0; i < 16; ++i) raw[i] = static_cast<uint8_t>(i + 1);
  const IpAddress v4 = IpAddress::from_raw(AF_INET, raw);
  EXPECT_EQ(format_address(v4), "1.2.3.4");
  EXPECT_EQ(v4, *parse_address("1.2.3.4")) << "bytes past the IPv4 address are not part of it";
  EXPECT_EQ(format_address(IpAddress::from_raw(AF_INET6, raw)), "102:304:506:708:90a:b0c:d0e:f10");
}

TEST(Address, SameHostAcrossIPv4MappedIPv6) {
  const IpAddress v4 = *parse_address("10.0.0.1");
  const IpAddress mapped = *parse_address("::ffff:10.0.0.1");
  EXPECT_NE(v4, mapped);
  EXPECT_TRUE(v4.same_host(mapped));
  EXPECT_TRUE(mapped.same_host(v4));
  EXPECT_TRUE(v4.same_host(v4));
  EXPECT_FALSE(v4.same_host(*parse_address("::ffff:10.0.0.2")));
  EXPECT_FALSE(v4.same_host(*parse_address("::a00:1"))) << "IPv4-compatible is not IPv4-mapped";
  EXPECT_FALSE(parse_address("::1")->same_host(*parse_address("127.0.0.1")));
}

}  // namespace
}  // namespace tcpsight
