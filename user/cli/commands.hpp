// The subcommands. Each registers its own options on the parent app and hands back what runs it;
// main parses, runs the chosen one and turns UserError into one line on stderr (exit 1).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace tcpsight {

struct Command {
  CLI::App* app = nullptr;    // the subcommand, for "was it chosen"
  std::function<int()> run;   // runs it after parsing; returns the exit status
};

Command add_trace_command(CLI::App& parent);
Command add_stats_command(CLI::App& parent);
Command add_top_command(CLI::App& parent);
Command add_serve_command(CLI::App& parent);
Command add_record_command(CLI::App& parent);

}  // namespace tcpsight
