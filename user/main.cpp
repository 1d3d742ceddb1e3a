// tcpsight: TCP connection states, exactly, from the kernel's tracepoints and socket iterator.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "cli/signals.hpp"
#include "core/errors.hpp"
#include "kernel/libbpf_log.hpp"

int main(int argc, char** argv) {
  using namespace tcpsight;
  CLI::App app{"tcpsight: exact TCP connection-state monitoring with eBPF"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tcpsight 0.1.0");
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "print libbpf's messages");

  const Command commands[] = {add_top_command(app), add_stats_command(app), add_trace_command(app),
                              add_serve_command(app), add_record_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "tcpsight: %s\nusage: tcpsight [--verbose] {top|stats|trace|serve|record} [OPTIONS]; see --help\n",
                 e.what());
    return 2;
  }

  try {
    install_libbpf_log(verbose);
    install_stop_signals();
    for (const Command& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const UserError& e) {
    std::fprintf(stderr, "tcpsight: %s\n", e.what());
    if (!e.hint().empty()) std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tcpsight: unexpected failure: %s\n", e.what());
    return 1;
  }
  return 2;
}
