#include "kernel/kernel_counters.hpp"

#include "kernel/proc_file.hpp"

namespace tcpsight {

KernelCounters read_kernel_counters() {
  KernelCounters all;
  for (const char* path : {"/proc/net/snmp", "/proc/net/netstat"}) all.merge(parse_snmp_tables(read_proc_file(path)));
  return all;
}

}  // namespace tcpsight
