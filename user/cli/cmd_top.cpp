// `tcpsight top`: the live terminal view. Wiring only: TopReadings feed the models each refresh,
// the layout turns the frame the view shows into a Screen, CursesTerminal draws it and reads keys.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "cli/namespace_option.hpp"
#include "cli/number_option.hpp"
#include "cli/signals.hpp"
#include "cli/snapshot_option.hpp"
#include "cli/top_readings.hpp"
#include "cli/top_replay.hpp"
#include "core/errors.hpp"
#include "kernel/prerequisites.hpp"
#include "kernel/privileges.hpp"
#include "top/curses_terminal.hpp"
#include "top/layout.hpp"
#include "top/namespace_list.hpp"

namespace tcpsight {

namespace {

struct TopOptions {
  double interval_s = 1;
  double snapshot_share = kSnapshotCpuShare;
  NamespaceChoice namespaces;
  bool socket_timing = false;
  std::string read;  // -r: play this recording instead of reading the kernel
};

// top -r's keys, taken before the view's own; true when `ch` was one of them.
bool playback_key(int ch, ReplayTopReadings& replay, double& speed, bool& playing, double interval_s) {
  switch (ch) {
    case 'p': case 'P': case ' ': playing = !playing; return true;
    case 'n': case 'N': replay.play(interval_s); return true;
    case ']': replay.seek(replay.position_s() + 10); return true;
    case '[': replay.seek(std::max(0.0, replay.position_s() - 10)); return true;
    case '1': speed = 1; return true;
    case '2': speed = 2; return true;
    case '0': speed = 10; return true;
    default: return false;
  }
}

// The longest the view waits before taking the records queued in the ring buffer.
constexpr int kDrainMs = 100;

std::unique_ptr<TopReadings> readings_for(const TopOptions& options) {
  check_bpf_prerequisites();
  if (!options.namespaces.chosen()) return own_namespace_readings(options.snapshot_share, options.socket_timing);
  check_namespace_prerequisites(options.namespaces.option());
  return namespace_readings(options.namespaces, options.snapshot_share, options.socket_timing);
}

int show(const TopOptions& options, TopReadings& readings, ReplayTopReadings* replay);

int run_top(const TopOptions& options) {
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
    throw UserError("tcpsight top needs a terminal: standard input and output must be a TTY",
                    "for pipes, files and scripts use `tcpsight stats` (or `tcpsight stats --json`)");
  std::unique_ptr<TopReadings> readings;
  ReplayTopReadings* replay = nullptr;
  if (!options.read.empty()) {
    if (options.namespaces.chosen())
      throw UserError("-r plays the namespace the recording holds: -A and --netns do not apply to it");
    auto r = std::make_unique<ReplayTopReadings>(options.read, options.interval_s);
    replay = r.get();
    readings = std::move(r);
  } else {
    readings = readings_for(options);
    // Loaded and attached; before the first refresh, which may start the namespace thread
    // (capabilities are per thread). -A and --netns keep what entering namespaces needs.
    drop_privileges({.keep = options.namespaces.chosen() ? namespace_entry_capabilities() : std::vector<int>{}, .user = std::nullopt});
  }
  const int status = show(options, *readings, replay);
  if (replay)
    if (const std::string damage = replay->damage(); !damage.empty()) {
      std::fprintf(stderr, "tcpsight: %s: %s\n", options.read.c_str(), damage.c_str());
      return 1;
    }
  return status;
}

// The view's loop: draw, refresh every interval, answer keys. `replay`: top -r's playback, else null.
int show(const TopOptions& options, TopReadings& readings_ref, ReplayTopReadings* replay) {
  TopReadings* readings = &readings_ref;
  double speed = 1;
  bool playing = true;
  ViewState view;
  view.namespaces = options.namespaces.all;  // -A starts with the list
  if (options.namespaces.one) view.drilled = options.namespaces.one->inode;  // --netns: its full view
  if (replay) {  // as the recording was made: record -A, record --netns, or neither
    view.namespaces = replay->of_every_namespace();
    view.drilled = replay->of_one_namespace();
  }
  readings->refresh(view.drilled, false);
  if (replay) view.playback = replay->status(speed, !playing);

  CursesTerminal terminal;
  const LayoutOptions layout{terminal.unicode() ? &Glyphs::utf8() : &Glyphs::ascii()};
  NamespaceFrames shown = readings->frames();
  Screen screen;
  bool dirty = true;
  double next = monotonic_seconds() + options.interval_s;

  while (!stop_requested()) {
    if (dirty) {
      screen = layout_screen(shown_frame(shown, view), view, terminal.size(), layout);
      view.scroll = screen.scroll;
      terminal.draw(screen);
      dirty = false;
    }
    const double now = monotonic_seconds();
    if (now >= next) {
      if (replay && playing) replay->play(options.interval_s * speed);
      // Paused: the sockets on screen stay as they were, so none is read. A replay paused reads
      // nothing either: the same moment again would make every rate zero.
      if (!replay || playing)
        readings->refresh(view.drilled, !view.paused && view.page != Page::Overview && !view.listing());
      if (replay) view.playback = replay->status(speed, !playing);
      if (!view.paused) shown = readings->frames();
      dirty = true;
      next += options.interval_s;
      if (next <= now) next = now + options.interval_s;  // after a stall, no burst of catch-up refreshes
      continue;
    }
    // Sleep in the terminal's key wait until the next refresh, draining the ring buffer at least
    // every kDrainMs on the way.
    const int wait_ms = std::min(static_cast<int>(std::ceil((next - now) * 1000)), kDrainMs);
    const auto key = terminal.read_key(wait_ms);
    readings->drain();
    if (!key) continue;
    if (replay && !view.prompting && key->kind == Key::Kind::Char &&
        playback_key(key->ch, *replay, speed, playing, options.interval_s)) {
      if (key->ch == 'n' || key->ch == 'N' || key->ch == '[' || key->ch == ']') {
        if (key->ch == 'n' || key->ch == 'N') readings->refresh(view.drilled, false);
        if (!view.paused) shown = readings->frames();
      }
      view.playback = replay->status(speed, !playing);
      dirty = true;
      continue;
    }
    // The arrows move through the list as it is on screen.
    const std::vector<uint32_t> listed =
        view.listing() ? inodes_of(sort_namespaces(shown.list.namespaces, view.namespace_sort))
                       : std::vector<uint32_t>{};
    std::vector<std::string> selectables;
    for (const Selectable& s : screen.selectables) selectables.push_back(s.key);
    const Page page_before = view.page;
    const KeyEffect effect = apply_key(view, *key, screen.body_rows, listed, selectables);
    if (effect.quit) break;
    dirty = dirty || effect.changed;
    // A drill-down or the processes view just opened: its sockets now, not at the next refresh
    // (paused too: what is asked for is read once, then stays as it is).
    if (view.page != page_before && view.page != Page::Overview) {
      readings->refresh(view.drilled, true);
      shown = readings->frames();
    }
  }
  return 0;
}

}  // namespace

Command add_top_command(CLI::App& parent) {
  auto o = std::make_shared<TopOptions>();
  CLI::App* cmd = parent.add_subcommand("top", "live terminal view of TCP states, queues, TIME_WAIT and retransmits");
  cmd->add_option("--interval", o->interval_s, "seconds between refreshes (default 1)")
      ->transform(real_in(0.05, 86400));
  add_snapshot_cpu_option(cmd, o->snapshot_share);
  add_namespace_options(cmd, o->namespaces);
  cmd->add_flag("--socket-timing", o->socket_timing,
                "show how long each socket has been in its state in the sockets list; it keeps a record per "
                "socket, about 500 ns more per state change in the kernel (without it the column reads \"?\")");
  cmd->add_option("-r,--read", o->read,
                  "play this recording (tcpsight record -w) instead of reading the kernel: p pause/play, n one "
                  "refresh on, ] [ 10 s forward/back, 1 2 0 speed 1x 2x 10x")
      ->type_name("FILE");
  cmd->footer(
      "Keys: q quit, p pause, s sort, / search (port, pid, address, state or process name), o processes,\n"
      "arrows select a state, transition, listener or flow and Enter lists its sockets (Esc back),\n"
      "PgUp/PgDn scroll, ? help.\n"
      "With -A: a list of namespaces first (s sorts it, arrows select, Enter shows one in full, Esc returns).\n"
      "Needs a terminal; for pipes and scripts use `tcpsight stats`.\n"
      "Examples:\n  tcpsight top\n  tcpsight top --interval 2\n  tcpsight top -A\n"
      "  tcpsight top --netns $(podman inspect -f '{{.State.Pid}}' web)\n  ip netns exec NS tcpsight top");
  return {cmd, [o] { return run_top(*o); }};
}

}  // namespace tcpsight
