// `--snapshot-cpu PERCENT`, shared by the commands that take socket snapshots again and again.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/number_option.hpp"
#include "core/snapshot_pacer.hpp"

namespace tcpsight {

// Adds the option to `cmd`; `share` receives it as a fraction of one core.
inline void add_snapshot_cpu_option(CLI::App* cmd, double& share) {
  cmd->add_option_function<double>(
         "--snapshot-cpu", [&share](double percent) { share = percent / 100; },
         "most of one core, in percent, that socket snapshots may use; beyond it they are spaced out "
         "and the figures they give are shown with their age (default 1; 100: one at every refresh)")
      ->type_name("PERCENT")
      ->transform(real_in(0.01, 100));
}

}  // namespace tcpsight
