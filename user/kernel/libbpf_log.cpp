#include "kernel/libbpf_log.hpp"

#include <bpf/libbpf.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <deque>
#include <mutex>
#include <sstream>

#include "core/errors.hpp"

namespace tcpsight {

namespace {
std::mutex log_mutex;
std::deque<std::string> log_lines;
bool log_verbose = false;
constexpr size_t kKeptLines = 200;

int on_libbpf_message(enum libbpf_print_level level, const char* format, va_list args) {
  va_list again;
  va_copy(again, args);
  const int len = std::vsnprintf(nullptr, 0, format, args);
  std::string buf(len > 0 ? static_cast<size_t>(len) : 0, '\0');
  std::vsnprintf(buf.data(), buf.size() + 1, format, again);
  va_end(again);
  // Everything is kept for an error message to quote; only --verbose (or a debug line) prints now.
  if (log_verbose && level != LIBBPF_DEBUG) std::fputs(buf.c_str(), stderr);
  std::lock_guard lock(log_mutex);
  std::istringstream in(buf);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    log_lines.push_back(line);
    if (log_lines.size() > kKeptLines) log_lines.pop_front();
  }
  return 0;
}
}  // namespace

void install_libbpf_log(bool verbose) {
  log_verbose = verbose;
  libbpf_set_print(on_libbpf_message);
}

std::string recent_libbpf_log(size_t lines) {
  std::lock_guard lock(log_mutex);
  std::string out;
  const size_t start = log_lines.size() > lines ? log_lines.size() - lines : 0;
  for (size_t i = start; i < log_lines.size(); ++i) out += "  " + log_lines[i] + "\n";
  return out;
}

void throw_kernel_error(const std::string& step, int err) {
  // libbpf's last lines say who refused: the verifier's verdict, or libbpf's own complaint.
  const bool refused = err == -EACCES || err == -EINVAL || err == -EPERM || err == -ESRCH || err == -ENOENT;
  throw UserError(fmt::format("{}: {}", step, std::strerror(std::abs(err))) +
                  (refused ? "\n" + recent_libbpf_log(12) : ""));
}

}  // namespace tcpsight
