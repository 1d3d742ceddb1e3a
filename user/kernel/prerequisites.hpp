// Checks what loading tcpsight's programs needs, so the user gets one clear line instead of EPERM.
#pragma once

namespace tcpsight {

// Throws UserError naming what is missing: privilege (root, or CAP_BPF+CAP_PERFMON), kernel BTF.
void check_bpf_prerequisites();

// Throws UserError unless this process may enter other network namespaces (setns needs
// CAP_SYS_ADMIN); `option` names what asked for it ("--all-namespaces").
void check_namespace_prerequisites(const char* option);

}  // namespace tcpsight
