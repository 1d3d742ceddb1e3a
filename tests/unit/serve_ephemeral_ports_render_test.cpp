// /metrics on client-side ephemeral port use: one series per destination by the rule `top` uses,
// none for the server side of connections, bounded by --max-destinations with the rest summed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core_test_input.hpp"
#include "serve_render_input.hpp"

namespace tcpsight {
namespace {

using test::input_of;
using test::kDefaultPortRange;
using test::listener_record;
using test::render_text;
using test::sock_record;
using test::time_wait_record;

std::string used(const test::ParsedExposition& e, const std::string& remote) {
  return e.value("tcpsight_ephemeral_ports_used", {{"remote", remote}}).value_or("absent");
}

// A host that is both: a server on 443 and on 40050 (a port inside the range), and a client.
std::vector<ts_sock_record> mixed_host() {
  return {
      listener_record("10.0.0.1", 443, 0, 0, 511),
      listener_record("0.0.0.0", 40050, 0, 0, 128),
      // Server side: accepted sockets keep their listener's port, even one inside the range.
      sock_record(TS_ESTABLISHED, {"10.0.0.1", 443, "10.0.0.9", 50000}),
      time_wait_record({"10.0.0.1", 443, "10.0.0.9", 50001}, 30'000),
      sock_record(TS_ESTABLISHED, {"10.0.0.1", 40050, "10.0.0.9", 50002}),
      time_wait_record({"10.0.0.1", 40050, "10.0.0.9", 50003}, 30'000),
      sock_record(TS_NEW_SYN_RECV, {"10.0.0.1", 40050, "10.0.0.9", 50004}),
      // Client side.
      sock_record(TS_ESTABLISHED, {"10.0.0.1", 33000, "10.0.0.2", 80}),
      time_wait_record({"10.0.0.1", 33001, "10.0.0.2", 80}, 59'000),
      sock_record(TS_FIN_WAIT2, {"10.0.0.1", 33002, "10.0.0.2", 80}),
      sock_record(TS_ESTABLISHED, {"2001:db8::5", 33000, "2001:db8::1", 443}),
      time_wait_record({"2001:db8::5", 33003, "2001:db8::1", 443}, 10'000),
      sock_record(TS_SYN_SENT, {"10.0.0.1", 60999, "10.0.0.3", 5432}),
      // Bound to a port outside the range: connect() took no ephemeral port.
      sock_record(TS_ESTABLISHED, {"10.0.0.1", 2049, "10.0.0.4", 2049}),
  };
}

TEST(EphemeralPortsRender, ClientSideSocketsPerDestinationAndTheRange) {
  const auto e = render_text(input_of(mixed_host()));
  EXPECT_EQ(e.value("tcpsight_ephemeral_ports_range"), "28232");
  EXPECT_EQ(e.families.at("tcpsight_ephemeral_ports_used").type, "gauge");
  EXPECT_EQ(used(e, "10.0.0.2:80"), "3") << "TIME_WAIT, ESTABLISHED and FIN_WAIT2 alike";
  EXPECT_EQ(used(e, "[2001:db8::1]:443"), "2");
  EXPECT_EQ(used(e, "10.0.0.3:5432"), "1") << "the range's last port";
  EXPECT_EQ(e.count("tcpsight_ephemeral_ports_used"), 3u) << "no server side, no 2049, no other";
  EXPECT_EQ(e.value("tcpsight_destination_series_dropped_total"), "0");
}

TEST(EphemeralPortsRender, TheSameFiguresAsTopsDestinations) {
  const std::vector<ts_sock_record> records = mixed_host();
  const auto e = render_text(input_of(records));
  const auto destinations = ephemeral_ports_by_destination(records, kDefaultPortRange);
  ASSERT_EQ(destinations.size(), 3u);
  for (const DestinationPorts& d : destinations)
    EXPECT_EQ(used(e, format_endpoint(d.addr, d.port)), std::to_string(d.ports_in_use));
}

TEST(EphemeralPortsRender, AServerOnlyHostWithManyTimeWaitUsesNoEphemeralPorts) {
  std::vector<ts_sock_record> records = {listener_record("0.0.0.0", 80, 0, 0, 4096),
                                         listener_record("0.0.0.0", 45000, 0, 0, 4096)};
  for (uint16_t i = 0; i < 20'000; ++i) {
    const std::string client = "10.2." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1);
    const uint16_t server_port = i % 2 ? 80 : 45000;
    records.push_back(time_wait_record({"10.0.0.1", server_port, client, static_cast<uint16_t>(40000 + i)}, 30'000));
  }
  const auto e = render_text(input_of(records));
  EXPECT_EQ(e.value("tcpsight_sockets", {{"state", "TIME_WAIT"}}), "20000");
  EXPECT_TRUE(e.families.count("tcpsight_ephemeral_ports_used")) << "declared, with no series";
  EXPECT_EQ(e.count("tcpsight_ephemeral_ports_used"), 0u);
}

TEST(EphemeralPortsRender, DestinationsBeyondTheCapAreSummedIntoOther) {
  std::vector<ts_sock_record> records;
  uint16_t port = 40000;
  const auto connections = [&](const std::string& remote, int n, int state = TS_ESTABLISHED) {
    for (int i = 0; i < n; ++i) records.push_back(sock_record(state, {"10.0.0.1", port++, remote, 80}));
  };
  connections("10.0.0.5", 5);
  connections("10.0.0.6", 4);
  connections("10.0.0.8", 3);
  connections("10.0.0.7", 3, TS_TIME_WAIT);  // as many ports, more of them in TIME_WAIT: ranks first
  connections("10.0.0.9", 1);
  ScrapeInput in = input_of(records, {}, {}, {.destinations = 3});
  EXPECT_EQ(in.destinations.dropped, 2u);
  in.destination_series_dropped_total = 7;  // what the cache adds up over gatherings
  const auto e = render_text(in);
  EXPECT_EQ(e.count("tcpsight_ephemeral_ports_used"), 4u) << "3 destinations and remote=\"other\"";
  EXPECT_EQ(used(e, "10.0.0.5:80"), "5");
  EXPECT_EQ(used(e, "10.0.0.6:80"), "4");
  EXPECT_EQ(used(e, "10.0.0.7:80"), "3");
  EXPECT_EQ(used(e, "10.0.0.8:80"), "absent");
  EXPECT_EQ(used(e, "other"), "4") << "10.0.0.8's 3 and 10.0.0.9's 1";
  EXPECT_EQ(e.value("tcpsight_destination_series_dropped_total"), "7");
}

TEST(EphemeralPortsRender, NoRangeNoSeries) {
  ScrapeInput in = assemble_scrape({}, mixed_host(), {}, SystemLimits{}, {});
  const auto e = render_text(in);
  EXPECT_FALSE(e.families.count("tcpsight_ephemeral_ports_range")) << "net.ipv4.ip_local_port_range unreadable";
  EXPECT_FALSE(e.families.count("tcpsight_ephemeral_ports_used")) << "which port is ephemeral is unknown";
  EXPECT_EQ(e.value("tcpsight_destination_series_dropped_total"), "0");
}

}  // namespace
}  // namespace tcpsight
