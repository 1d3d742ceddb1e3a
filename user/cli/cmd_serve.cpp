// `tcpsight serve`: Prometheus exposition of the kernel's exact counters, read at scrape time, and
// a socket snapshot, taken at scrape time unless snapshots already use their share of a core.
// Nothing is streamed (no ring buffer): counters carry every number.
#include <sys/utsname.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "cli/namespace_option.hpp"
#include "cli/number_option.hpp"
#include "cli/serve_namespaces.hpp"
#include "cli/signals.hpp"
#include "cli/snapshot_option.hpp"
#include "core/errors.hpp"
#include "kernel/kernel_counters.hpp"
#include "kernel/netns.hpp"
#include "kernel/prerequisites.hpp"
#include "kernel/privileges.hpp"
#include "kernel/paced_snapshots.hpp"
#include "kernel/sysctls.hpp"
#include "kernel/tracer.hpp"
#include "serve/listen_address.hpp"
#include "serve/metrics_server.hpp"
#include "serve/scrape_cache.hpp"
#include "serve/web_config_source.hpp"

namespace tcpsight {

namespace {

constexpr const char* kVersion = "0.1.0";
// Scrapes this close together share one gathering (one reading of counters and snapshot).
constexpr double kGatherMaxAgeSeconds = 0.25;

struct ServeOptions {
  std::string listen = "127.0.0.1:9977";
  SeriesCaps caps;
  double snapshot_share = kSnapshotCpuShare;
  bool no_histograms = false;
  bool durations = false;  // --connection-durations
  NamespaceChoice namespaces;
  size_t max_namespaces = kDefaultMaxNamespaces;
  std::string web_config;  // --web.config.file
  std::optional<std::string> user;  // --user
};

void warn(const std::string& message) { std::fprintf(stderr, "tcpsight: %s\n", message.c_str()); }

std::string kernel_release() {
  utsname u{};
  return uname(&u) == 0 ? u.release : "unknown";
}

int run_serve(const ServeOptions& options) {
  const ListenAddress address = *parse_listen_address(options.listen);  // validated by the parser
  const NamespaceChoice& choice = options.namespaces;
  check_bpf_prerequisites();
  if (choice.chosen()) check_namespace_prerequisites(choice.option());
  const BuildInfo build{kVersion, kernel_release()};

  // Without -A/--netns: serve's own namespace. Gathering is serialized by the cache.
  std::unique_ptr<Tracer> tracer;
  std::unique_ptr<PacedSnapshots> snapshots;
  std::unique_ptr<NamespaceGatherer> namespaces;  // -A/--netns
  const auto gather_own = [&] {
    ScrapeInput input = assemble_scrape(tracer->read_counters(), snapshots->records(), read_kernel_counters(),
                                        read_system_limits(), options.caps);
    input.snapshot_age_seconds = snapshots->age();
    input.events_missed_total = tracer->missed_events();
    return input;
  };
  ScrapeCache cache(
      [&] {
        ScrapeInput input = namespaces ? namespaces->gather() : gather_own();
        if (namespaces) input.events_missed_total = namespaces->tracer().missed_events();
        input.build = build;
        input.histograms = !options.no_histograms;
        input.durations = options.durations;
        return input;
      },
      kGatherMaxAgeSeconds, monotonic_seconds, [](const std::string& e) { warn("gathering metrics failed: " + e); });

  // Read before anything binds or loads: a config that does not load stops serve at once.
  std::shared_ptr<WebConfigSource> web;
  if (!options.web_config.empty()) web = std::make_shared<WebConfigSource>(options.web_config, warn);
  MetricsServer server(address, cache, HttpLimits{}, web);  // binds first: a taken port fails before anything is loaded
  const uint32_t netns = current_netns_inode();
  // Only the duration histogram needs per-socket storage, the costly part of tracing.
  if (choice.chosen()) {
    namespaces = std::make_unique<NamespaceGatherer>(
        choice, NamespaceServeOptions{.caps = options.caps, .max_namespaces = options.max_namespaces,
                                      .snapshot_share = options.snapshot_share,
                                      .track_sockets = options.durations});
  } else {
    tracer = std::make_unique<Tracer>(
        TracerOptions{.netns = netns, .stream_kinds = 0, .track_sockets = options.durations});
    snapshots = std::make_unique<PacedSnapshots>(monotonic_seconds, options.snapshot_share);
  }
  // Loaded and attached: from here on only fds are used. Keep no capability but what entering the
  // namespaces needs (before any thread starts: capabilities are per thread).
  drop_privileges({.keep = choice.chosen() ? namespace_entry_capabilities() : std::vector<int>{}, .user = options.user});

  // SIGINT/SIGTERM set a flag; this thread turns it into server.stop(), repeated until run() has
  // returned (a stop that comes before the server is up would otherwise be missed).
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished && !stop_requested()) sleep_unless_stopped(0.05);
    while (!finished) {
      server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const std::string scope = choice.all ? std::string("every network namespace")
                            : "network namespace " + std::to_string(choice.one ? choice.one->inode : netns);
  const auto web_state = web ? web->current() : nullptr;
  std::fprintf(stderr, "tcpsight: serving %s://%s/metrics for %s%s; Ctrl-C to stop\n", web && web->tls() ? "https" : "http",
               server.address().text().c_str(), scope.c_str(),
               web_state && !web_state->config.users.empty() ? ", basic auth required" : "");
  const bool served = stop_requested() || server.run();
  finished = true;
  watcher.join();
  if (!served && !stop_requested()) throw UserError("the HTTP server on " + server.address().text() + " failed");
  return 0;
}

}  // namespace

Command add_serve_command(CLI::App& parent) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = parent.add_subcommand("serve", "Prometheus exporter: /metrics, /healthz");
  const CLI::Validator listen_address(
      [](std::string& text) {
        return parse_listen_address(text) ? std::string()
                                          : "'" + text + "' is not ADDR:PORT (e.g. 127.0.0.1:9977 or [::1]:9977)";
      },
      "");
  cmd->add_option("--listen", o->listen, "address and port to serve on (default 127.0.0.1:9977)")
      ->type_name("ADDR:PORT")
      ->check(listen_address);
  cmd->add_option("--max-listeners", o->caps.listeners,
                  "listening endpoints labelled one by one; the rest are summed as local=\"other\" (default 100)")
      ->type_name("N")
      ->transform(whole_in(1, 100000));
  cmd->add_option("--max-destinations", o->caps.destinations,
                  "remote endpoints whose ephemeral port use is labelled one by one, those holding the most ports; "
                  "the rest are summed as remote=\"other\" (default 20)")
      ->type_name("N")
      ->transform(whole_in(1, 100000));
  cmd->add_option("--web.config.file", o->web_config,
                  "TLS and basic auth, in the Prometheus exporter toolkit's web config format (tls_server_config, "
                  "basic_auth_users with bcrypt hashes); re-read at each connection, so certificates rotate "
                  "without a restart. Without it: plain HTTP, no authentication")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  cmd->add_option("--user", o->user,
                  "after start-up, run as this unprivileged user (name or uid); capabilities are dropped either "
                  "way (with -A/--netns all but CAP_SYS_ADMIN, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, to enter namespaces and name their containers)")
      ->type_name("USER");
  add_snapshot_cpu_option(cmd, o->snapshot_share);
  add_namespace_options(cmd, o->namespaces);
  cmd->add_option("--max-namespaces", o->max_namespaces,
                  "with -A: network namespaces labelled one by one (netns, container), the first found keeping "
                  "theirs; the rest are summed as netns=\"other\" (default 100)")
      ->type_name("N")
      ->transform(whole_in(1, 10000));
  auto* durations = cmd->add_flag(
      "--connection-durations", o->durations,
      "also export tcpsight_connection_duration_seconds, the lifetime of connections opened while serve runs; "
      "it keeps a record per socket, about 500 ns more per state change in the kernel (0.85-0.93 instead "
      "of 0.96-1.04 of a churning host's connection rate in bench/)");
  cmd->add_flag("--no-histograms", o->no_histograms, "leave out the connect-latency histogram")->excludes(durations);
  cmd->footer(
      "Examples:\n  tcpsight serve\n  tcpsight serve --listen [::1]:9977\n"
      "  curl -s http://127.0.0.1:9977/metrics | grep tcpsight_sockets\n"
      "  tcpsight serve --max-destinations 50\n"
      "  tcpsight serve --listen 0.0.0.0:9977 --web.config.file /etc/tcpsight/web.yml   (TLS, basic auth)\n"
      "  tcpsight serve -A --max-namespaces 20   (series per container: netns=\"<inode>\",container=\"<name>\")\n"
      "  tcpsight serve --netns $(podman inspect -f '{{.State.Pid}}' web)");
  return {cmd, [o] { return run_serve(*o); }};
}

}  // namespace tcpsight
