// What the running kernel offers tcpsight, probed once from its release, /proc and its BTF, so
// that program variants are chosen by what the kernel is, never by assumption. The BTF part is
// probed only where a tracepoint program is loaded: parsing the kernel's BTF costs a few
// milliseconds, and a one-shot snapshot (`stats --count 1`) needs none of it.
#pragma once

#include <string>
#include <vector>

#include "core/kernel_release.hpp"

namespace tcpsight {

struct KernelFacts {
  std::string release;  // uname -r
  KernelVersion version;
  // Before 6.15, LISTEN->SYN_RECV fires before the child has its own tuple; the programs detect
  // this per event (remote port 0) and this only says what to expect.
  bool child_tuple_at_syn_recv = false;
  unsigned hz = 0;              // CONFIG_HZ
  std::string hz_source;        // "/proc/config.gz", "/boot/config-...", or "jiffies"
};

// What the kernel's BTF says of the tracepoints tcpsight attaches to.
struct TracepointFacts {
  // tcp:tcp_retransmit_skb carries `err` and fires for failed attempts too (6.17+).
  bool retransmit_reports_errors = false;
  // tcp:tcp_send_reset carries the reset reason and fires with no socket too (6.10+).
  bool reset_reports_reason = false;
  std::vector<std::string> reset_reasons;  // enum sk_rst_reason names by value, "NO_SOCKET", ...
};

// Probed on the first call. Throws UserError on a kernel older than kOldestKernel or whose
// CONFIG_HZ cannot be found.
const KernelFacts& kernel_facts();

// Probed on the first call. Throws UserError on a kernel without BTF or without one of the
// tracepoints.
const TracepointFacts& tracepoint_facts();

}  // namespace tcpsight
