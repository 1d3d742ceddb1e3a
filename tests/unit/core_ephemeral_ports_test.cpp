#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/ephemeral_ports.hpp"
#include "top_test_records.hpp"

namespace tcpsight {
namespace {

using namespace top_test;

TEST(EphemeralPorts, ParsesTheSysctlAsTheKernelPrintsIt) {
  const auto r = parse_port_range("32768\t60999\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->low, 32768);
  EXPECT_EQ(r->high, 60999);
  EXPECT_EQ(r->size(), 28232u);
  EXPECT_TRUE(r->contains(32768));
  EXPECT_TRUE(r->contains(60999));
  EXPECT_FALSE(r->contains(61000));
}

TEST(EphemeralPorts, RejectsMalformedRanges) {
  for (const char* bad : {"", "32768", "60999 32768", "1 70000", "a b", "1 2 3"})
    EXPECT_FALSE(parse_port_range(bad)) << bad;
}

TEST(EphemeralPorts, CountsDistinctLocalPortsPerDestination) {
  const PortRange range{40000, 40099};  // 100 ports
  std::vector<ts_sock_record> records;
  for (uint16_t p = 40000; p < 40010; ++p) records.push_back(time_wait("10.0.0.1", p, "10.0.0.2", 80, 30000));
  for (uint16_t p = 40010; p < 40015; ++p) records.push_back(record(TS_ESTABLISHED, "10.0.0.1", p, "10.0.0.2", 80));
  // The same port from a second local address: still one port of the range.
  records.push_back(record(TS_ESTABLISHED, "10.0.0.9", 40000, "10.0.0.2", 80));
  // Another destination port is another destination.
  records.push_back(record(TS_ESTABLISHED, "10.0.0.1", 40000, "10.0.0.2", 443));
  // Outside the range: not an ephemeral port.
  records.push_back(record(TS_ESTABLISHED, "10.0.0.1", 22, "10.0.0.2", 80));

  const auto d = ephemeral_ports_by_destination(records, range);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(format_endpoint(d[0].addr, d[0].port), "10.0.0.2:80");
  EXPECT_EQ(d[0].ports_in_use, 15u);
  EXPECT_EQ(d[0].time_wait, 10u);
  EXPECT_DOUBLE_EQ(d[0].share, 0.15);
  EXPECT_EQ(format_endpoint(d[1].addr, d[1].port), "10.0.0.2:443");
  EXPECT_EQ(d[1].ports_in_use, 1u);
}

TEST(EphemeralPorts, LeavesOutListenersRequestSocketsAndTheServerSide) {
  const PortRange range{40000, 40099};
  const std::vector<ts_sock_record> records = {
      listener("0.0.0.0", 40050, 0, 0, 128),
      record(TS_NEW_SYN_RECV, "10.0.0.1", 40050, "10.0.0.3", 40001),
      // Accepted connection of the listener on 40050: the server side keeps the listener's port.
      record(TS_ESTABLISHED, "10.0.0.1", 40050, "10.0.0.3", 40002),
  };
  EXPECT_TRUE(ephemeral_ports_by_destination(records, range).empty());
}

TEST(EphemeralPorts, RanksDestinationsByPortsThenTimeWaitThenAddress) {
  const PortRange range{40000, 40999};
  std::vector<ts_sock_record> records;
  for (uint16_t i = 0; i < 3; ++i) records.push_back(record(TS_ESTABLISHED, "10.0.0.1", 40000 + i, "10.0.0.5", 80));
  for (uint16_t i = 0; i < 5; ++i) records.push_back(record(TS_ESTABLISHED, "10.0.0.1", 40100 + i, "10.0.0.6", 80));
  records.push_back(record(TS_ESTABLISHED, "10.0.0.1", 40200, "10.0.0.8", 80));
  records.push_back(time_wait("10.0.0.1", 40300, "10.0.0.9", 80, 1000));  // as many ports, in TIME_WAIT
  records.push_back(record(TS_ESTABLISHED, "10.0.0.1", 40400, "10.0.0.7", 80));
  const auto d = ephemeral_ports_by_destination(records, range);
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(format_address(d[0].addr), "10.0.0.6");
  EXPECT_EQ(format_address(d[1].addr), "10.0.0.5");
  EXPECT_EQ(format_address(d[2].addr), "10.0.0.9") << "one port each: more TIME_WAIT first";
  EXPECT_EQ(format_address(d[3].addr), "10.0.0.7") << "then by address";
  EXPECT_EQ(format_address(d[4].addr), "10.0.0.8");
}

}  // namespace
}  // namespace tcpsight

namespace tcpsight {
namespace {

// Against a plain reference (a set of local ports per destination) over many sockets to many
// destinations, IPv4 and IPv6, from several local addresses: the counts of the one-sort version.
TEST(EphemeralPorts, MatchesAPlainCountOverManySockets) {
  using namespace top_test;
  const PortRange range{32768, 60999};
  std::vector<ts_sock_record> records;
  std::map<std::string, std::set<uint16_t>> ports;
  std::map<std::string, uint64_t> time_wait_count;
  uint32_t seed = 12345;
  const auto next = [&seed] { return seed = seed * 1103515245u + 12345u, (seed >> 8) & 0xffff; };
  const char* remotes[] = {"10.0.0.2", "10.0.0.3", "fd00::2", "fd00::3"};
  const char* v4_locals[] = {"10.0.0.1", "10.0.0.9"};
  const char* v6_locals[] = {"fd00::1", "fd00::9"};
  for (int i = 0; i < 20000; ++i) {
    const size_t r = next() % 4;
    const bool v6 = r >= 2;
    const char* local = (v6 ? v6_locals : v4_locals)[next() % 2];
    const auto sport = static_cast<uint16_t>(32768 + next() % 3000);
    const auto dport = static_cast<uint16_t>(next() % 2 ? 80 : 443);
    const bool tw = next() % 3 == 0;
    records.push_back(tw ? time_wait(local, sport, remotes[r], dport, 1000)
                         : record(TS_ESTABLISHED, local, sport, remotes[r], dport));
    const std::string key = std::string(remotes[r]) + "/" + std::to_string(dport);
    ports[key].insert(sport);
    time_wait_count[key] += tw;
  }
  const auto d = ephemeral_ports_by_destination(records, range);
  ASSERT_EQ(d.size(), ports.size());
  for (const DestinationPorts& x : d) {
    const std::string addr = format_endpoint(x.addr, x.port);
    const std::string host = addr.front() == '[' ? addr.substr(1, addr.find(']') - 1) : addr.substr(0, addr.rfind(':'));
    const std::string key = host + "/" + std::to_string(x.port);
    ASSERT_TRUE(ports.count(key)) << key;
    EXPECT_EQ(x.ports_in_use, ports[key].size()) << key;
    EXPECT_EQ(x.time_wait, time_wait_count[key]) << key;
  }
}

}  // namespace
}  // namespace tcpsight
