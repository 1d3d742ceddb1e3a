// The kernel's own TCP counters (/proc/net/snmp and /proc/net/netstat) of this network namespace.
#pragma once

#include "core/netstat_parse.hpp"

namespace tcpsight {

// Keys like "Tcp.ActiveOpens", "TcpExt.ListenOverflows". Empty when the files cannot be read.
KernelCounters read_kernel_counters();

}  // namespace tcpsight
