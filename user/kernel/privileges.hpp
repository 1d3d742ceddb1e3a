// Least privilege after start-up: once the BPF programs are loaded and attached, what tcpsight does
// needs no capability (map reads, iterator fds made from links it holds, /proc/net reads: the
// kernel checks these against the fds, 5.19+). Entering other network namespaces (-A, --netns)
// still needs CAP_SYS_ADMIN (setns) and CAP_SYS_PTRACE (another process's /proc/PID/ns/net), and
// naming their containers CAP_DAC_READ_SEARCH (the runtimes' state under /var/lib).
#pragma once

#include <linux/capability.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tcpsight {

struct PrivilegeDrop {
  std::vector<int> keep;            // capabilities kept if held, e.g. CAP_SYS_ADMIN; every other one goes
  std::optional<std::string> user;  // become this user (its uid and gid, no supplementary groups)
};

// The capabilities naming other namespaces needs: other users' /proc/PID/ns (CAP_SYS_PTRACE) and
// the container runtimes' state (CAP_DAC_READ_SEARCH).
std::vector<int> namespace_naming_capabilities();
// Those, and entering the namespaces (CAP_SYS_ADMIN, for setns).
std::vector<int> namespace_entry_capabilities();

// Drops the rest from the effective, permitted, inheritable, ambient and bounding sets, switches
// user when asked, and sets no_new_privs. Capabilities are per thread: call it while the process
// has one thread (it checks). Throws UserError saying what failed.
void drop_privileges(const PrivilegeDrop& drop);

// The effective capability set of this thread, as /proc/PID/status's CapEff shows it.
uint64_t effective_capabilities();

}  // namespace tcpsight
