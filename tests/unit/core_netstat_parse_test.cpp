// parse_snmp_tables on text shaped like /proc/net/snmp and /proc/net/netstat.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/netstat_parse.hpp"

namespace tcpsight {
namespace {

std::optional<int64_t> get(const KernelCounters& c, const std::string& name) {
  const auto it = c.find(name);
  return it == c.end() ? std::nullopt : std::optional<int64_t>(it->second);
}

// Taken from a 6.18 kernel, shortened where tables are long.
constexpr const char* kSnmp =
    "Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards "
    "InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails "
    "FragCreates OutTransmits\n"
    "Ip: 2 64 389680 0 0 0 0 0 389680 389049 0 0 0 0 0 0 0 0 0 389049\n"
    "Icmp: InMsgs InErrors InCsumErrors InDestUnreachs\n"
    "Icmp: 1 0 0 1\n"
    "IcmpMsg: InType3\n"
    "IcmpMsg: 1\n"
    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs "
    "OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
    "Tcp: 1 200 120000 -1 95714 95703 0 187394 0 389653 389024 17 0 93719 0\n"
    "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"
    "Udp: 26 0 0 27 0 0 0 0 0\n";

constexpr const char* kNetstat =
    "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned "
    "OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab DelayedACKs "
    "ListenOverflows ListenDrops TCPSynRetrans TCPRetransFail\n"
    "TcpExt: 3 0 0 0 0 0 0 0 0 0 2015 0 0 0 0 600 12 14 1000 0\n"
    "IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets\n"
    "IpExt: 0 0 0 0 0 0 84888661 21774282\n";

TEST(SnmpTables, ReadsTcpAndTcpExtCounters) {
  const KernelCounters c = parse_snmp_tables(std::string(kSnmp) + kNetstat);
  EXPECT_EQ(get(c, "Tcp.ActiveOpens"), 95714);
  EXPECT_EQ(get(c, "Tcp.PassiveOpens"), 95703);
  EXPECT_EQ(get(c, "Tcp.RetransSegs"), 17);
  EXPECT_EQ(get(c, "Tcp.OutRsts"), 93719);
  EXPECT_EQ(get(c, "Tcp.InCsumErrors"), 0);
  EXPECT_EQ(get(c, "Tcp.MaxConn"), -1) << "the kernel's -1 means no limit";
  EXPECT_EQ(get(c, "TcpExt.TW"), 2015);
  EXPECT_EQ(get(c, "TcpExt.SyncookiesSent"), 3);
  EXPECT_EQ(get(c, "TcpExt.ListenOverflows"), 12);
  EXPECT_EQ(get(c, "TcpExt.ListenDrops"), 14);
  EXPECT_EQ(get(c, "TcpExt.TCPSynRetrans"), 1000);
  EXPECT_EQ(get(c, "IpExt.InOctets"), 84888661);
  EXPECT_EQ(get(c, "Udp.OutDatagrams"), 27);
  EXPECT_EQ(get(c, "IcmpMsg.InType3"), 1);
  EXPECT_EQ(c.count("Udp.ActiveOpens"), 0u) << "names belong to their own table";
  EXPECT_EQ(c.size(), 20u + 4 + 1 + 15 + 9 + 20 + 8);
}

TEST(SnmpTables, EachFileAloneParses) {
  EXPECT_EQ(get(parse_snmp_tables(kSnmp), "Tcp.ActiveOpens"), 95714);
  EXPECT_EQ(get(parse_snmp_tables(kNetstat), "TcpExt.TW"), 2015);
  EXPECT_TRUE(parse_snmp_tables("").empty());
}

TEST(SnmpTables, NonNumericValueIsLeftOutAndTheRestKept) {
  const KernelCounters c = parse_snmp_tables(
      "Tcp: ActiveOpens PassiveOpens RetransSegs\n"
      "Tcp: 10 x7 30\n");
  EXPECT_EQ(get(c, "Tcp.ActiveOpens"), 10);
  EXPECT_EQ(c.count("Tcp.PassiveOpens"), 0u) << "not a number: no guess";
  EXPECT_EQ(get(c, "Tcp.RetransSegs"), 30);
}

TEST(SnmpTables, TableWithMismatchedColumnsIsSkippedOthersKept) {
  const KernelCounters c = parse_snmp_tables(
      "Tcp: ActiveOpens PassiveOpens RetransSegs\n"
      "Tcp: 10 20\n"
      "TcpExt: TW ListenDrops\n"
      "TcpExt: 5 6\n");
  EXPECT_EQ(c.count("Tcp.ActiveOpens"), 0u) << "which value is whose is unknown";
  EXPECT_EQ(get(c, "TcpExt.TW"), 5);
  EXPECT_EQ(get(c, "TcpExt.ListenDrops"), 6);
}

TEST(SnmpTables, StrayLineDoesNotShiftTheTablesAfterIt) {
  const KernelCounters c = parse_snmp_tables(
      "garbage that is no table\n"
      "Tcp: ActiveOpens PassiveOpens\n"
      "Tcp: 10 20\n"
      "\n"
      "TcpExt: TW ListenDrops\n"
      "TcpExt: 5 6\n"
      "Udp: InDatagrams\n"  // header without values at the end
  );
  EXPECT_EQ(get(c, "Tcp.ActiveOpens"), 10);
  EXPECT_EQ(get(c, "Tcp.PassiveOpens"), 20);
  EXPECT_EQ(get(c, "TcpExt.TW"), 5);
  EXPECT_EQ(get(c, "TcpExt.ListenDrops"), 6);
  EXPECT_EQ(c.count("Udp.InDatagrams"), 0u);
  EXPECT_EQ(c.size(), 4u);
}

TEST(SnmpTables, ValuesLineOfAnotherTableIsNotPairedWithThisHeader) {
  const KernelCounters c = parse_snmp_tables(
      "Tcp: ActiveOpens PassiveOpens\n"
      "Udp: 1 2\n"
      "Udp: InDatagrams NoPorts\n"
      "Udp: 3 4\n");
  EXPECT_EQ(c.count("Tcp.ActiveOpens"), 0u);
  EXPECT_EQ(c.count("Udp.ActiveOpens"), 0u);
  EXPECT_EQ(get(c, "Udp.InDatagrams"), 3);
  EXPECT_EQ(get(c, "Udp.NoPorts"), 4);
}

TEST(SnmpTables, CountersBeyond32BitsAreKept) {
  const KernelCounters c = parse_snmp_tables("IpExt: InOctets\nIpExt: 9007199254740993\n");
  EXPECT_EQ(get(c, "IpExt.InOctets"), 9007199254740993LL);
}

// Found by fuzzing: a line that is only ":" and words names no table, so it gives no counter.
TEST(SnmpTables, HeaderWithoutATableNameGivesNoCounter) {
  const KernelCounters c = parse_snmp_tables(": s\n: 3\nTcp: ActiveOpens\nTcp: 7\n");
  EXPECT_EQ(c.count(".s"), 0u);
  EXPECT_EQ(get(c, "Tcp.ActiveOpens"), 7);
  EXPECT_EQ(c.size(), 1u);
}

}  // namespace
}  // namespace tcpsight
