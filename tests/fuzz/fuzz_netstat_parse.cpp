// /proc/net/snmp and /proc/net/netstat as parse_snmp_tables reads them, and the sysctl values next
// to them (ip_local_port_range, tcp_max_tw_buckets): any text, no crash, and only counters the text
// names.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/ephemeral_ports.hpp"
#include "core/netstat_parse.hpp"
#include "core/system_limits.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const tcpsight::KernelCounters all = tcpsight::parse_snmp_tables(text);
  for (const auto& [name, value] : all) {
    // "Prefix.Name", both taken from the text.
    const size_t dot = name.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == name.size()) std::abort();
    if (text.find(std::string_view(name).substr(dot + 1)) == std::string_view::npos) std::abort();
  }
  // Selecting tables returns a subset of all of them.
  static constexpr std::string_view kTcpTables[] = {"Tcp", "TcpExt"};
  for (const auto& [name, value] : tcpsight::parse_snmp_tables(text, kTcpTables)) {
    const auto it = all.find(name);
    if (it == all.end() || it->second != value) std::abort();
    if (!name.starts_with("Tcp.") && !name.starts_with("TcpExt.")) std::abort();
  }

  (void)tcpsight::parse_sysctl_number(text);
  (void)tcpsight::parse_port_range(text);
  return 0;
}
