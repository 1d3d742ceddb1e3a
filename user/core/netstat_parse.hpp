// Parses the kernel's SNMP counter files (/proc/net/snmp, /proc/net/netstat).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace tcpsight {

// "Tcp.ActiveOpens" -> value. Each table is a header line of names and a line of values,
// both starting with the same "Prefix:"; malformed pairs are skipped.
using KernelCounters = std::map<std::string, int64_t>;

// `tables`: only these ("Tcp", "TcpExt"); empty: all of them.
KernelCounters parse_snmp_tables(std::string_view text, std::span<const std::string_view> tables = {});

}  // namespace tcpsight
