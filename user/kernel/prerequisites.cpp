#include "kernel/prerequisites.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>

#include "core/errors.hpp"
#include "kernel/kernel_facts.hpp"

namespace tcpsight {

namespace {

constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

bool has_effective_capability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return data[cap / 32].effective & (1u << (cap % 32));
}

}  // namespace

void check_bpf_prerequisites() {
  const bool admin = has_effective_capability(kCapSysAdmin);
  const bool bpf = has_effective_capability(kCapBpf);
  const bool perfmon = has_effective_capability(kCapPerfmon);
  if (!admin && !(bpf && perfmon)) {
    std::string missing = !bpf && !perfmon ? "CAP_BPF and CAP_PERFMON" : (!bpf ? "CAP_BPF" : "CAP_PERFMON");
    throw UserError("needs root, or the capabilities CAP_BPF and CAP_PERFMON (missing " + missing + ")",
                    "run it with sudo, or grant them: setcap cap_bpf,cap_perfmon+ep build/tcpsight");
  }
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux"))
    throw UserError("no kernel BTF at /sys/kernel/btf/vmlinux",
                    "tcpsight needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or later)");
  kernel_facts();  // the kernel's version and CONFIG_HZ: one clear line if one is amiss
}

void check_namespace_prerequisites(const char* option) {
  if (!has_effective_capability(kCapSysAdmin))
    throw UserError(std::string(option) + " needs CAP_SYS_ADMIN, to enter other network namespaces (setns)",
                    "run it as root, or grant it: setcap cap_sys_admin,cap_bpf,cap_perfmon+ep build/tcpsight");
}

}  // namespace tcpsight
