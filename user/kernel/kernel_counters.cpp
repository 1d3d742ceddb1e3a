#include "kernel/kernel_counters.hpp"

#include <string>

#include "kernel/proc_file.hpp"

namespace tcpsight {

KernelCounters read_kernel_counters(const char* net_dir, std::span<const std::string_view> tables) {
  KernelCounters all;
  for (const char* file : {"/snmp", "/netstat"})
    all.merge(parse_snmp_tables(read_proc_file((std::string(net_dir) + file).c_str()), tables));
  return all;
}

}  // namespace tcpsight
