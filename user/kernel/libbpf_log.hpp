// Routes libbpf's messages: kept quietly (the verifier's log among them) so that a failure can
// quote its last lines, and printed only with --verbose.
#pragma once

#include <string>

namespace tcpsight {

void install_libbpf_log(bool verbose);

// The last `lines` lines libbpf reported, newest last.
std::string recent_libbpf_log(size_t lines);

// Throws UserError "<step>: <errno text>", quoting libbpf's last lines (the verifier's verdict)
// when the kernel refused a program. `err` is a negative errno, as libbpf returns it.
[[noreturn]] void throw_kernel_error(const std::string& step, int err);

}  // namespace tcpsight
