#include "cli/kernel_summary.hpp"

#include "kernel/kernel_facts.hpp"

namespace tcpsight {

nlohmann::json kernel_summary() {
  const KernelFacts& k = kernel_facts();
  const TracepointFacts& tp = tracepoint_facts();
  return {{"release", k.release},
          {"hz", k.hz},
          {"hz_source", k.hz_source},
          {"retransmit_reports_errors", tp.retransmit_reports_errors},
          {"reset_reports_reason", tp.reset_reports_reason},
          {"child_tuple_at_syn_recv", k.child_tuple_at_syn_recv}};
}

}  // namespace tcpsight
