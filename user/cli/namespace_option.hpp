// `-A/--all-namespaces` and `--netns NAME|PATH|PID`, shared by every command: which network
// namespaces to watch. Neither: tcpsight's own, as before.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <stdexcept>
#include <string>

#include "kernel/namespace_scan.hpp"

namespace tcpsight {

struct NamespaceChoice {
  bool all = false;
  std::optional<FoundNamespace> one;  // --netns, resolved while parsing

  bool chosen() const { return all || one.has_value(); }
  // The option, for messages.
  const char* option() const { return all ? "--all-namespaces" : "--netns"; }
};

inline void add_namespace_options(CLI::App* cmd, NamespaceChoice& choice) {
  CLI::Option* all = cmd->add_flag("-A,--all-namespaces", choice.all,
                                   "every network namespace of the host (containers, pods, ip netns), each on its own; "
                                   "needs CAP_SYS_ADMIN");
  CLI::Option* one = cmd->add_option_function<std::string>(
      "--netns",
      [&choice](const std::string& arg) {
        try {
          choice.one = resolve_namespace(arg);
        } catch (const std::invalid_argument& e) {
          throw CLI::ValidationError("--netns", e.what());
        }
      },
      "only this network namespace: a name under /run/netns, a path to an nsfs file, or the pid of a process in it");
  one->type_name("NAME|PATH|PID");
  all->excludes(one);
}

}  // namespace tcpsight
