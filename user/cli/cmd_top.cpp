#include "cli/commands.hpp"
#include "core/errors.hpp"

namespace tcpsight {

// Placeholder until the live view lands (issue: `tcpsight top`).
Command add_top_command(CLI::App& parent) {
  CLI::App* cmd = parent.add_subcommand("top", "live terminal view (not built yet)");
  return {cmd, [] () -> int { throw UserError("tcpsight top is not built yet", "use tcpsight stats"); }};
}

}  // namespace tcpsight
