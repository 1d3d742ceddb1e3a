// The kernel's own TCP counters (/proc/net/snmp and /proc/net/netstat) of a network namespace.
#pragma once

#include "core/netstat_parse.hpp"

namespace tcpsight {

// Keys like "Tcp.ActiveOpens", "TcpExt.ListenOverflows". Empty when the files cannot be read.
// `net_dir`: /proc/net is this process's namespace; /proc/thread-self/net the calling thread's (a
// NetnsThread's, inside the namespace it entered).
// `tables`: only these tables (parse_snmp_tables).
KernelCounters read_kernel_counters(const char* net_dir = "/proc/net", std::span<const std::string_view> tables = {});

}  // namespace tcpsight
