#include "podman.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace tcpsight::itest {

namespace {
std::atomic<int> next_container{0};
const std::vector<std::string> kPodman = {"podman", "--runtime", "/usr/sbin/runc"};

std::vector<std::string> podman(std::vector<std::string> args) {
  std::vector<std::string> argv = kPodman;
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}
}  // namespace

std::optional<std::string> missing_container_prerequisite() {
  for (const char* path : {"/usr/bin/podman", "/usr/sbin/runc", "/usr/bin/nsenter"})
    if (!std::filesystem::exists(path)) return std::string("no ") + path + " (scripts/install-deps.sh installs it)";
  return std::nullopt;
}

Container::Container(const std::string& tag)
    : name_("ts-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(next_container++)) {
  // The limits keep runc within what these machines allow; `--rootfs /:O` is the host's root as an
  // overlay, so what the container writes stays in it.
  const CommandResult r = run_command(
      podman({"run", "-d", "--name", name_, "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000",
              "--network", "none", "--rootfs", "/:O", "sleep", "600"}),
      {}, 120s);
  if (r.exit_code != 0) throw std::runtime_error("podman run " + name_ + " failed: " + r.err);
  const std::string pid = run_checked(podman({"inspect", "-f", "{{.State.Pid}}", name_}));
  pid_ = std::stoi(pid);
  if (pid_ <= 0) throw std::runtime_error("container " + name_ + " has no pid: " + pid);
}

Container::~Container() {
  // -t 0: no grace period for `sleep`; the container's namespace goes with it.
  run_command(podman({"rm", "-f", "-t", "0", name_}), {}, 120s);
}

uint32_t Container::netns_inode() const {
  struct stat st{};
  const std::string path = "/proc/" + std::to_string(pid_) + "/ns/net";
  if (stat(path.c_str(), &st) != 0) {
    ADD_FAILURE() << "cannot stat " << path << ": " << std::strerror(errno);
    return 0;
  }
  return static_cast<uint32_t>(st.st_ino);
}

std::vector<std::string> Container::exec(const std::vector<std::string>& argv) const {
  std::vector<std::string> out = podman({"exec", name_});
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::string Container::in_netns(const std::vector<std::string>& argv) const {
  std::vector<std::string> full{"nsenter", "--net=/proc/" + std::to_string(pid_) + "/ns/net", "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_checked(full);
}

size_t Container::ss_count(const std::string& state_filter) const {
  std::istringstream lines(in_netns({"ss", "-tanH", "state", state_filter}));
  size_t n = 0;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) ++n;
  return n;
}

KernelCounters Container::kernel_counters() const {
  KernelCounters all = parse_snmp_tables(in_netns({"cat", "/proc/net/snmp"}));
  all.merge(parse_snmp_tables(in_netns({"cat", "/proc/net/netstat"})));
  return all;
}

}  // namespace tcpsight::itest
