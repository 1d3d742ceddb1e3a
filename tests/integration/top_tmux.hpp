// `tcpsight top` driven in a private tmux server: start it in a pane of a given size, type keys,
// read the screen. The destructor kills the tmux server (and so the pane's processes).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

namespace tcpsight::itest {

class TopInTmux {
 public:
  // Runs `ip netns exec NETNS tcpsight top ARGS...` in a detached cols x rows window; an empty
  // NETNS runs it in the test's own namespace. The pane's shell then prints "tty restored" (or
  // "tty NOT restored") and "top exited N", and stays open.
  TopInTmux(const std::string& netns, int cols, int rows, const std::vector<std::string>& top_args = {});
  ~TopInTmux();
  TopInTmux(const TopInTmux&) = delete;
  TopInTmux& operator=(const TopInTmux&) = delete;

  std::string screen() const;  // the visible pane, one line per row
  // Polls the screen until `ready` holds; returns that screen, or nullopt after `timeout`.
  std::optional<std::string> wait_for(const std::function<bool(const std::string&)>& ready, Seconds timeout) const;
  std::optional<std::string> wait_for_text(const std::string& needle, Seconds timeout) const;
  void send_keys(const std::vector<std::string>& keys) const;  // tmux key names: "q", "C-c", "PageDown"
  void resize(int cols, int rows) const;
  bool alternate_screen() const;  // is the pane showing the alternate screen (a full-screen program)?
  // The tcpsight process in the pane (the pane shell's child), or -1 when it is not running.
  pid_t top_pid() const;

 private:
  CommandResult tmux(const std::vector<std::string>& args) const;
  std::string socket_;       // tmux -L name, unique per test process and session
  std::string socket_path_;  // where the server put it
  std::string session_;
};

// The first number after a match of `pattern` (an ECMAScript regex with one capture group, matched
// at the start of a screen line), or nullopt.
std::optional<uint64_t> screen_number(const std::string& screen, const std::string& pattern);

// top -A's list: the TIME_WAIT on the row of namespace `name` ("> NAME  sockets ESTAB TIME_WAIT
// ...", ">" when highlighted), or nullopt when it has no row.
std::optional<uint64_t> listed_time_wait(const std::string& screen, const std::string& name);
bool highlighted(const std::string& screen, const std::string& name);
// Presses Down until the row of `name` is highlighted (other namespaces of the host may be listed
// too): the screen then, or nullopt when Down stops moving or never gets there.
std::optional<std::string> move_to_row(const TopInTmux& top, const std::string& name);

}  // namespace tcpsight::itest
