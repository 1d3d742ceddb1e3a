#include "kernel/kernel_facts.hpp"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <sys/utsname.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/errors.hpp"

namespace tcpsight {

namespace {

using BtfPtr = std::unique_ptr<btf, decltype(&btf__free)>;

// Parameters of a tracepoint as BTF declares it (btf_trace_NAME: a pointer to a function whose
// first parameter is the tracepoint's private data), or -1 when the kernel has no such tracepoint.
int tracepoint_arguments(const btf* vmlinux, const char* tracepoint) {
  const std::string name = fmt::format("btf_trace_{}", tracepoint);
  const int id = btf__find_by_name_kind(vmlinux, name.c_str(), BTF_KIND_TYPEDEF);
  if (id < 0) return -1;
  const btf_type* t = btf__type_by_id(vmlinux, btf__resolve_type(vmlinux, static_cast<__u32>(id)));
  if (!t || !btf_is_ptr(t)) return -1;
  t = btf__type_by_id(vmlinux, t->type);
  if (!t || !btf_is_func_proto(t)) return -1;
  return static_cast<int>(btf_vlen(t)) - 1;
}

std::vector<std::string> enum_names(const btf* vmlinux, const char* enum_name, const char* prefix) {
  std::vector<std::string> names;
  const int id = btf__find_by_name_kind(vmlinux, enum_name, BTF_KIND_ENUM);
  if (id < 0) return names;
  const btf_type* t = btf__type_by_id(vmlinux, static_cast<__u32>(id));
  const struct btf_enum* values = btf_enum(t);
  for (int i = 0; i < btf_vlen(t); ++i) {
    if (values[i].val < 0 || values[i].val > 255) continue;
    const size_t at = static_cast<size_t>(values[i].val);
    if (names.size() <= at) names.resize(at + 1);
    std::string n = btf__name_by_offset(vmlinux, values[i].name_off);
    if (n.rfind(prefix, 0) == 0) n.erase(0, std::strlen(prefix));
    names[at] = n;
  }
  return names;
}

std::string gunzip_file(const char* path) {
  gzFile f = gzopen(path, "rb");
  if (!f) return {};
  std::string text;
  char buf[1 << 15];
  for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// jiffies as /proc/timer_list prints it, read with CLOCK_MONOTONIC at the same moment.
std::optional<unsigned> hz_from_timer_list() {
  std::ifstream in("/proc/timer_list");
  for (std::string line; std::getline(in, line);) {
    unsigned long long jiffies = 0;
    if (std::sscanf(line.c_str(), "jiffies: %llu", &jiffies) != 1) continue;
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return hz_from_jiffies(jiffies, static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9);
  }
  return std::nullopt;
}

void find_hz(KernelFacts& facts) {
  const std::string boot_config = "/boot/config-" + facts.release;
  if (auto hz = hz_from_config(gunzip_file("/proc/config.gz"))) {
    facts.hz = *hz, facts.hz_source = "/proc/config.gz";
  } else if (auto hz2 = hz_from_config(read_text(boot_config))) {
    facts.hz = *hz2, facts.hz_source = boot_config;
  } else if (auto hz3 = hz_from_timer_list()) {
    facts.hz = *hz3, facts.hz_source = "jiffies";
  } else {
    throw UserError("cannot tell the kernel's CONFIG_HZ (needed for TIME_WAIT lifetimes)",
                    "no /proc/config.gz, no " + boot_config + ", and /proc/timer_list gave no usable jiffies");
  }
}

KernelFacts probe() {
  KernelFacts facts;
  utsname u{};
  uname(&u);
  facts.release = u.release;
  const auto version = parse_kernel_release(facts.release);
  if (!version) throw UserError("cannot read the kernel version from '" + facts.release + "'");
  facts.version = *version;
  if (facts.version < kOldestKernel)
    throw UserError(fmt::format("tcpsight needs Linux {}.{} or later; this is {}", kOldestKernel.major,
                                kOldestKernel.minor, facts.release),
                    "older kernels lack what keeps its counts exact (see README, Kernels)");
  facts.child_tuple_at_syn_recv = facts.version >= KernelVersion{6, 15};
  find_hz(facts);
  return facts;
}

TracepointFacts probe_tracepoints() {
  TracepointFacts facts;
  BtfPtr vmlinux(btf__load_vmlinux_btf(), btf__free);
  if (!vmlinux)
    throw UserError(std::string("cannot read the kernel's BTF: ") + std::strerror(errno),
                    "tcpsight needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
  for (const char* tp : {"inet_sock_set_state", "tcp_retransmit_skb", "tcp_retransmit_synack", "tcp_send_reset",
                         "tcp_receive_reset"})
    if (tracepoint_arguments(vmlinux.get(), tp) < 0)
      throw UserError(fmt::format("this kernel has no tracepoint {} (BTF has no btf_trace_{})", tp, tp));
  facts.retransmit_reports_errors = tracepoint_arguments(vmlinux.get(), "tcp_retransmit_skb") >= 3;
  facts.reset_reports_reason = tracepoint_arguments(vmlinux.get(), "tcp_send_reset") >= 3;
  facts.reset_reasons = enum_names(vmlinux.get(), "sk_rst_reason", "SK_RST_REASON_");
  return facts;
}

}  // namespace

const KernelFacts& kernel_facts() {
  static const KernelFacts facts = probe();
  return facts;
}

const TracepointFacts& tracepoint_facts() {
  static const TracepointFacts facts = probe_tracepoints();
  return facts;
}

}  // namespace tcpsight
