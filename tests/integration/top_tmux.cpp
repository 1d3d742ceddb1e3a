#include "top_tmux.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace tcpsight::itest {

namespace {
std::atomic<int> sessions{0};

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace

TopInTmux::TopInTmux(const std::string& netns, int cols, int rows, const std::vector<std::string>& top_args)
    : socket_("ts-top-" + std::to_string(getpid()) + "-" + std::to_string(sessions++)), session_("top") {
  std::string top = (netns.empty() ? "" : "ip netns exec " + shell_quote(netns) + " ") +
                    shell_quote(tcpsight_binary()) + " top";
  for (const std::string& a : top_args) top += " " + shell_quote(a);
  // INT is trapped (not ignored) so the shell survives Ctrl-C while top, which restores the default
  // action on exec, gets it.
  const std::string script = "trap true INT; before=$(stty -g); " + top +
                             "; rc=$?; if [ \"$(stty -g)\" = \"$before\" ]; then echo 'tty restored'; "
                             "else echo 'tty NOT restored'; fi; echo \"top exited $rc\"; sleep 600";
  const CommandResult r = tmux({"new-session", "-d", "-s", session_, "-x", std::to_string(cols), "-y",
                                std::to_string(rows), "sh", "-c", script});
  if (r.exit_code != 0) throw std::runtime_error("tmux new-session failed: " + r.err);
  tmux({"set-option", "-t", session_, "window-size", "manual"});
  socket_path_ = tmux({"display-message", "-p", "#{socket_path}"}).out;
  while (!socket_path_.empty() && socket_path_.back() == '\n') socket_path_.pop_back();
}

TopInTmux::~TopInTmux() {
  tmux({"kill-server"});
  if (!socket_path_.empty()) unlink(socket_path_.c_str());  // the server leaves its socket file behind
}

CommandResult TopInTmux::tmux(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"tmux", "-L", socket_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, {}, 10s);
}

std::string TopInTmux::screen() const { return tmux({"capture-pane", "-p", "-t", session_}).out; }

std::optional<std::string> TopInTmux::wait_for(const std::function<bool(const std::string&)>& ready,
                                               Seconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string s = screen();
    if (ready(s)) return s;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(100ms);
  }
}

std::optional<std::string> TopInTmux::wait_for_text(const std::string& needle, Seconds timeout) const {
  return wait_for([&](const std::string& s) { return s.find(needle) != std::string::npos; }, timeout);
}

void TopInTmux::send_keys(const std::vector<std::string>& keys) const {
  std::vector<std::string> args = {"send-keys", "-t", session_};
  args.insert(args.end(), keys.begin(), keys.end());
  tmux(args);
}

void TopInTmux::resize(int cols, int rows) const {
  tmux({"resize-window", "-t", session_, "-x", std::to_string(cols), "-y", std::to_string(rows)});
}

bool TopInTmux::alternate_screen() const {
  return tmux({"display-message", "-p", "-t", session_, "#{alternate_on}"}).out.find('1') != std::string::npos;
}

pid_t TopInTmux::top_pid() const {
  const std::string shell = tmux({"display-message", "-p", "-t", session_, "#{pane_pid}"}).out;
  const pid_t sh = static_cast<pid_t>(std::atol(shell.c_str()));
  if (sh <= 0) return -1;
  std::ifstream children("/proc/" + std::to_string(sh) + "/task/" + std::to_string(sh) + "/children");
  pid_t child = -1;
  while (children >> child) {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(child) + "/exe", ec);
    if (!ec && std::filesystem::equivalent(exe, tcpsight_binary(), ec)) return child;
  }
  return -1;
}

std::optional<uint64_t> screen_number(const std::string& screen, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(screen, m, std::regex(pattern, std::regex::ECMAScript | std::regex::multiline)) ||
      m.size() < 2)
    return std::nullopt;
  return std::stoull(m[1].str());
}

std::optional<uint64_t> listed_time_wait(const std::string& screen, const std::string& name) {
  return screen_number(screen, "^[> ] " + name + R"(\s+\d+\s+\d+\s+(\d+))");
}

bool highlighted(const std::string& screen, const std::string& name) {
  return std::regex_search(screen, std::regex("(^|\n)> " + name + R"(\s)"));
}

std::optional<std::string> move_to_row(const TopInTmux& top, const std::string& name) {
  std::string screen = top.screen();
  for (int moves = 0; !highlighted(screen, name) && moves < 100; ++moves) {
    const std::string before = screen;
    top.send_keys({"Down"});
    const auto moved = top.wait_for([&](const std::string& s) { return s != before; }, 3s);
    if (!moved) return std::nullopt;
    screen = *moved;
  }
  if (!highlighted(screen, name)) return std::nullopt;
  return screen;
}

}  // namespace tcpsight::itest
