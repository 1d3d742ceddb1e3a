#include "kernel/kernel_counters.hpp"

#include <fstream>
#include <sstream>

namespace tcpsight {

KernelCounters read_kernel_counters() {
  KernelCounters all;
  for (const char* path : {"/proc/net/snmp", "/proc/net/netstat"}) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    all.merge(parse_snmp_tables(text.str()));
  }
  return all;
}

}  // namespace tcpsight
