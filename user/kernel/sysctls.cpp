#include "kernel/sysctls.hpp"

#include "kernel/proc_file.hpp"

namespace tcpsight {

std::optional<PortRange> read_local_port_range() {
  return parse_port_range(read_proc_file("/proc/sys/net/ipv4/ip_local_port_range"));
}

SystemLimits read_system_limits() {
  return {read_local_port_range(), parse_sysctl_number(read_proc_file("/proc/sys/net/ipv4/tcp_max_tw_buckets"))};
}

}  // namespace tcpsight
