#include "cli/commands.hpp"
#include "core/errors.hpp"

namespace tcpsight {

// Placeholder until the Prometheus exporter lands (issue: `tcpsight serve`).
Command add_serve_command(CLI::App& parent) {
  CLI::App* cmd = parent.add_subcommand("serve", "Prometheus exporter (not built yet)");
  return {cmd, [] () -> int { throw UserError("tcpsight serve is not built yet", "use tcpsight stats --json"); }};
}

}  // namespace tcpsight
