#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace tcpsight::itest {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

SteadyClock::time_point deadline_after(Seconds timeout) {
  return SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(timeout);
}

std::string netns_path(const std::string& name) { return "/run/netns/" + name; }

std::string quoted(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

// ---- paths --------------------------------------------------------------------------------------

// TCPSIGHT_BINARY in the environment runs the tests against another build of the same sources
// (test.sh: the ASan+UBSan binary of build-asan/).
std::string tcpsight_binary() {
  const char* other = std::getenv("TCPSIGHT_BINARY");
  return other && *other ? other : TCPSIGHT_BINARY;
}
std::string test_tool(const std::string& name) { return std::string(TCPSIGHT_TEST_TOOLS) + "/" + name; }

// ---- prerequisites ------------------------------------------------------------------------------

std::optional<std::string> missing_prerequisite() {
  if (geteuid() != 0) return "integration tests need root (BPF, network namespaces, iptables)";
  if (!std::filesystem::exists("/sys/kernel/btf/vmlinux")) return "no kernel BTF at /sys/kernel/btf/vmlinux";
  if (access("/usr/sbin/ip", X_OK) != 0 && access("/sbin/ip", X_OK) != 0 && access("/usr/bin/ip", X_OK) != 0)
    return "the `ip` command (iproute2) is not installed";
  if (access(tcpsight_binary().c_str(), X_OK) != 0) return "tcpsight binary not built: " + tcpsight_binary();
  return std::nullopt;
}

bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

namespace {

// The median CPU time (this thread's, user and system: other load on the machine does not count)
// of three runs of `work`.
template <class Work>
double median_thread_cpu_seconds(Work work) {
  std::vector<double> runs;
  for (int r = 0; r < 3; ++r) {
    timespec a{}, b{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    work();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    runs.push_back(static_cast<double>(b.tv_sec - a.tv_sec) + static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e9);
  }
  std::sort(runs.begin(), runs.end());
  return runs[1];
}

}  // namespace

double compute_slowdown() {
  static const double slowdown = std::max(1.0, median_thread_cpu_seconds([] {
                                            volatile uint64_t x = 1;
                                            for (uint64_t i = 0; i < 20'000'000; ++i)
                                              x = x * 6364136223846793005ull + 1442695040888963407ull;
                                          }) / 0.0255);
  return slowdown;
}

double kernel_slowdown() {
  static const double slowdown = std::max(1.0, median_thread_cpu_seconds([] {
                                            char buf[4096];
                                            for (int i = 0; i < 10'000; ++i) {
                                              const int fd = ::open("/proc/self/net/sockstat", O_RDONLY | O_CLOEXEC);
                                              if (fd < 0) continue;
                                              if (::read(fd, buf, sizeof buf) < 0) buf[0] = 0;
                                              ::close(fd);
                                            }
                                          }) / 0.032);
  return slowdown;
}

int tracepoint_arguments(const std::string& tracepoint) {
  // The C dump names each tracepoint's prototype: typedef void (*btf_trace_NAME)(void *, ARGS...);
  static const std::string dump =
      run_checked({"bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"}, {}, 120s);
  const std::string needle = "(*btf_trace_" + tracepoint + ")(";
  const size_t at = dump.find(needle);
  if (at == std::string::npos) return -1;
  const size_t end = dump.find(");", at);
  const std::string params = dump.substr(at + needle.size(), end - at - needle.size());
  return static_cast<int>(std::count(params.begin(), params.end(), ','));
}

// ---- child processes ----------------------------------------------------------------------------

Child::Child(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw std::invalid_argument("Child: empty argv");
  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) env_storage.emplace_back(*e);
  for (const auto& e : options.env) env_storage.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  int netns_fd = -1;
  if (!options.netns.empty()) {
    netns_fd = open(netns_path(options.netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) throw std::runtime_error(errno_text("open " + netns_path(options.netns)));
  }
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  const auto close_all = [&] {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], netns_fd})
      if (fd >= 0) close(fd);
  };
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    const std::string why = errno_text("pipe2");
    close_all();
    throw std::runtime_error(why);
  }

  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    const std::string why = errno_text("fork");
    close_all();
    throw std::runtime_error(why);
  }
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test binary
    if (getppid() != parent) _exit(127);
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) _exit(126);
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    execvpe(args[0], args.data(), envp.data());
    const char msg[] = "harness: exec failed\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(127);
  }
  if (netns_fd >= 0) close(netns_fd);
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_.fd = out_pipe[0];
  err_.fd = err_pipe[0];
  out_.reader = std::thread([this] { drain(out_); });
  err_.reader = std::thread([this] { drain(err_); });
}

Child::~Child() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  join_readers();
}

void Child::drain(Capture& c) {
  char buf[65536];
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    pollfd p{c.fd, POLLIN, 0};
    const int ready = poll(&p, 1, 100);
    if (ready == 0) continue;
    if (ready < 0 && errno == EINTR) continue;
    const ssize_t n = ready > 0 ? read(c.fd, buf, sizeof buf) : -1;
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) break;
    c.text.append(buf, static_cast<size_t>(n));
    grown_.notify_all();
  }
  std::lock_guard lock(mutex_);
  c.eof = true;
  close(c.fd);
  grown_.notify_all();
}

void Child::join_readers() {
  if (out_.reader.joinable()) out_.reader.join();
  if (err_.reader.joinable()) err_.reader.join();
}

void Child::signal(int signo) const {
  if (!status_) ::kill(pid_, signo);
}

std::optional<int> Child::wait(Seconds timeout) {
  if (status_) return status_;
  const auto deadline = deadline_after(timeout);
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = decode_status(status);
      break;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (SteadyClock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
  // The process is gone: collect the rest of its output (bounded, in case a grandchild holds the pipe).
  std::unique_lock lock(mutex_);
  grown_.wait_for(lock, 2s, [this] { return out_.eof && err_.eof; });
  return status_;
}

bool Child::running() {
  if (status_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = decode_status(status);
    return false;
  }
  return true;
}

std::string Child::captured(Stream s) const {
  std::lock_guard lock(mutex_);
  return capture(s).text;
}

std::vector<std::string> Child::lines(Stream s) const {
  std::vector<std::string> out;
  std::istringstream in(captured(s));
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::optional<std::string> Child::wait_for_line(Stream s, const std::string& needle, Seconds timeout) {
  std::optional<std::string> found;
  const auto look = [&] {
    const std::string& text = capture(s).text;
    size_t start = 0;
    for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
      const std::string_view line(text.data() + start, end - start);
      if (line.find(needle) != std::string_view::npos) {
        found = std::string(line);
        return true;
      }
    }
    return capture(s).eof;
  };
  std::unique_lock lock(mutex_);
  grown_.wait_until(lock, deadline_after(timeout), look);
  return found;
}

bool Child::wait_for_lines(Stream s, size_t n, Seconds timeout) {
  const auto enough = [&] {
    const std::string& text = capture(s).text;
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) >= n || capture(s).eof;
  };
  std::unique_lock lock(mutex_);
  grown_.wait_until(lock, deadline_after(timeout), enough);
  const std::string& text = capture(s).text;
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) >= n;
}

// ---- waiting ------------------------------------------------------------------------------------


// ---- commands -----------------------------------------------------------------------------------

CommandResult run_command(const std::vector<std::string>& argv, const SpawnOptions& options, Seconds timeout) {
  Child child(argv, options);
  CommandResult result;
  if (const auto status = child.wait(timeout)) result.exit_code = *status;
  else {
    child.signal(SIGKILL);
    child.wait(5s);
    result.exit_code = -1;
  }
  result.out = child.out();
  result.err = child.err();
  return result;
}

std::string run_checked(const std::vector<std::string>& argv, const SpawnOptions& options, Seconds timeout) {
  CommandResult r = run_command(argv, options, timeout);
  if (r.exit_code != 0)
    ADD_FAILURE() << "command failed (exit " << r.exit_code << ")" << (options.netns.empty() ? "" : " in ")
                  << options.netns << ": " << quoted(argv) << "\n"
                  << r.err;
  return r.out;
}


// ---- network namespaces -------------------------------------------------------------------------

namespace {

// Namespaces this harness made in a test process that has since died (killed by a timeout, crashed)
// are named "ts-<tag>-<pid>-<n>" with a pid that no longer runs: delete them once per process.
void delete_stale_namespaces() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename();
    if (name.rfind("ts-", 0) != 0) continue;
    const size_t serial_dash = name.rfind('-');
    const size_t pid_dash = serial_dash == std::string::npos || serial_dash == 0 ? std::string::npos
                                                                                  : name.rfind('-', serial_dash - 1);
    if (pid_dash == std::string::npos || pid_dash < 3) continue;
    const std::string pid_text = name.substr(pid_dash + 1, serial_dash - pid_dash - 1);
    const std::string serial_text = name.substr(serial_dash + 1);
    const auto all_digits = [](const std::string& t) {
      return !t.empty() && t.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!all_digits(pid_text) || !all_digits(serial_text) || pid_text.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid == getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    run_command({"ip", "netns", "delete", name});
  }
}

}  // namespace

Netns::Netns(const std::string& tag) {
  static std::once_flag swept;
  std::call_once(swept, delete_stale_namespaces);
  static std::atomic<int> serial{0};
  name_ = "ts-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(serial++);
  const CommandResult r = run_command({"ip", "netns", "add", name_});
  if (r.exit_code != 0) throw std::runtime_error("ip netns add " + name_ + " failed: " + r.err);
  const CommandResult up = run({"ip", "link", "set", "lo", "up"});
  if (up.exit_code != 0) {
    run_command({"ip", "netns", "delete", name_});
    throw std::runtime_error("ip link set lo up in " + name_ + " failed: " + up.err);
  }
}

Netns::~Netns() {
  const CommandResult r = run_command({"ip", "netns", "delete", name_});
  if (r.exit_code != 0) ADD_FAILURE() << "ip netns delete " << name_ << " failed: " << r.err;
}

CommandResult Netns::run(const std::vector<std::string>& argv, Seconds timeout) const {
  return run_command(argv, inside(), timeout);
}

std::string Netns::run_checked(const std::vector<std::string>& argv, Seconds timeout) const {
  return itest::run_checked(argv, inside(), timeout);
}

void Netns::set_sysctl(const std::string& key, const std::string& value) const {
  run_checked({"sysctl", "-q", "-w", key + "=" + value});
}

KernelCounters Netns::kernel_counters() const {
  return parse_snmp_tables(run_checked({"cat", "/proc/net/snmp", "/proc/net/netstat"}));
}

size_t Netns::ss_count(const std::string& state_filter, const std::vector<std::string>& extra) const {
  std::vector<std::string> argv{"ss", "-tanH", "state", state_filter};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const std::string out = run_checked(argv);
  size_t n = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t") != std::string::npos) ++n;
  return n;
}

size_t Netns::wait_for_ss_count(const std::string& state_filter, size_t n, Seconds timeout) const {
  size_t count = 0;
  wait_until([&] { return (count = ss_count(state_filter)) >= n; }, timeout);
  return count;
}

std::map<std::string, size_t> Netns::ss_counts() const {
  std::map<std::string, size_t> counts;
  for (const SsState& s : kSsStates) counts[s.tcpsight] = ss_count(s.ss);
  return counts;
}

size_t Netns::ss_timewait_count(const std::string& state_filter) const {
  const std::string out = run_checked({"ss", "-tanoH", "state", state_filter});
  size_t n = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.find("timer:(timewait,") != std::string::npos) ++n;
  return n;
}

size_t Netns::sockstat_tw() const {
  // "TCP: inuse 1 orphan 0 tw 100 alloc 3 mem 0"
  const std::string out = run_checked({"cat", "/proc/net/sockstat"});
  const size_t at = out.find(" tw ");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no tw in /proc/net/sockstat of " << name_ << ":\n" << out;
    return 0;
  }
  return std::stoul(out.substr(at + 4));
}

uint32_t Netns::inode() const {
  struct stat st{};
  if (stat(("/run/netns/" + name_).c_str(), &st) != 0) {
    ADD_FAILURE() << "cannot stat /run/netns/" << name_ << ": " << std::strerror(errno);
    return 0;
  }
  return static_cast<uint32_t>(st.st_ino);
}

std::optional<nlohmann::json> last_namespace_report(const std::vector<nlohmann::json>& reports, uint32_t inode) {
  for (auto it = reports.rbegin(); it != reports.rend(); ++it)
    if (it->contains("netns") && it->at("netns").is_number() && it->at("netns").get<uint32_t>() == inode) return *it;
  return std::nullopt;
}

double wall_seconds_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

bool wait_until(const std::function<bool()>& done, Seconds timeout, Seconds poll) {
  const auto deadline = deadline_after(timeout);
  for (;;) {
    if (done()) return true;
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

void connect_veth(const Netns& a, const std::string& cidr_a, const Netns& b, const std::string& cidr_b,
                  const std::string& ifname) {
  a.run_checked({"ip", "link", "add", ifname, "type", "veth", "peer", "name", ifname, "netns", b.name()});
  // IPv6 addresses without duplicate address detection: usable as soon as the link is up.
  const auto add = [&](const Netns& ns, const std::string& cidr) {
    std::vector<std::string> argv{"ip", "addr", "add", cidr, "dev", ifname};
    if (cidr.find(':') != std::string::npos) argv.push_back("nodad");
    ns.run_checked(argv);
  };
  add(a, cidr_a);
  add(b, cidr_b);
  a.run_checked({"ip", "link", "set", ifname, "up"});
  b.run_checked({"ip", "link", "set", ifname, "up"});
}

HalfOpenServer::HalfOpenServer(const std::string& tag, const std::string& client_addr, const std::string& server_addr)
    : client_ns(tag + "-c"), server_ns(tag + "-s") {
  connect_veth(client_ns, client_addr + "/24", server_ns, server_addr + "/24");
  server_ns.set_sysctl("net.ipv4.tcp_syncookies", "0");
  server_ns.set_sysctl("net.ipv4.tcp_max_syn_backlog", "8192");
  run_in_netns(server_ns.name(), [&] {
    listener = tcp_listen(server_addr, 0, 4096);
    port = local_port(listener);
  });
  // A pure ACK to the listener's port is only ever the third packet of a handshake here.
  drop_final_ack.emplace(server_ns, std::vector<std::string>{"INPUT", "-p", "tcp", "--dport", std::to_string(port),
                                                             "--tcp-flags", "SYN,ACK,FIN,RST", "ACK", "-j", "DROP"});
}

FirewallRule::FirewallRule(const Netns& ns, std::vector<std::string> rule, bool ipv6)
    : ns_(ns), rule_(std::move(rule)), ipv6_(ipv6) {
  std::vector<std::string> argv{ipv6_ ? "ip6tables" : "iptables", "-w", "-A"};
  argv.insert(argv.end(), rule_.begin(), rule_.end());
  const CommandResult r = ns_.run(argv);
  if (r.exit_code != 0) throw std::runtime_error("adding firewall rule failed: " + quoted(argv) + ": " + r.err);
  active_ = true;
}

FirewallRule::~FirewallRule() { remove(); }

void FirewallRule::remove() {
  if (!active_) return;
  active_ = false;
  std::vector<std::string> argv{ipv6_ ? "ip6tables" : "iptables", "-w", "-D"};
  argv.insert(argv.end(), rule_.begin(), rule_.end());
  const CommandResult r = ns_.run(argv);
  if (r.exit_code != 0) ADD_FAILURE() << "removing firewall rule failed: " << quoted(argv) << ": " << r.err;
}

void run_in_netns(const std::string& netns, const std::function<void()>& fn) {
  std::exception_ptr error;
  std::thread worker([&] {
    try {
      const int fd = open(netns_path(netns).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw std::runtime_error(errno_text("open " + netns_path(netns)));
      const int rc = setns(fd, CLONE_NEWNET);
      close(fd);
      if (rc != 0) throw std::runtime_error(errno_text("setns " + netns));
      fn();
    } catch (...) {
      error = std::current_exception();
    }
  });
  worker.join();
  if (error) std::rethrow_exception(error);
}

// ---- sockets ------------------------------------------------------------------------------------

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = o.release();
  }
  return *this;
}

int Fd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

namespace {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
};

SocketAddress socket_address(const std::string& addr, uint16_t port) {
  SocketAddress a;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage); inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
    a.family = AF_INET;
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
             inet_pton(AF_INET6, addr.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
    a.family = AF_INET6;
  } else {
    throw std::invalid_argument("not an IP address: " + addr);
  }
  return a;
}

Fd tcp_socket(int family, bool nonblocking) {
  Fd s(socket(family, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
  if (!s) throw std::runtime_error(errno_text("socket"));
  return s;
}

}  // namespace

Fd tcp_listen(const std::string& addr, uint16_t port, int backlog) {
  const SocketAddress a = socket_address(addr, port);
  Fd s = tcp_socket(a.family, false);
  const int one = 1;
  setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s.get(), reinterpret_cast<const sockaddr*>(&a.storage), a.length) != 0)
    throw std::runtime_error(errno_text("bind " + addr + ":" + std::to_string(port)));
  if (listen(s.get(), backlog) != 0) throw std::runtime_error(errno_text("listen"));
  return s;
}

Fd tcp_connect(const std::string& addr, uint16_t port, bool nonblocking) {
  const SocketAddress a = socket_address(addr, port);
  Fd s = tcp_socket(a.family, nonblocking);
  if (connect(s.get(), reinterpret_cast<const sockaddr*>(&a.storage), a.length) != 0 &&
      !(nonblocking && errno == EINPROGRESS))
    throw std::runtime_error(errno_text("connect " + addr + ":" + std::to_string(port)));
  return s;
}

Fd tcp_accept(const Fd& listener) {
  Fd s(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!s) throw std::runtime_error(errno_text("accept"));
  return s;
}

uint16_t local_port(const Fd& socket) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (getsockname(socket.get(), reinterpret_cast<sockaddr*>(&storage), &length) != 0)
    throw std::runtime_error(errno_text("getsockname"));
  if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

void close_with_reset(Fd& socket) {
  const linger l{1, 0};
  setsockopt(socket.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  socket.reset();
}

int tcp_state(const Fd& socket) {
  tcp_info info{};
  socklen_t length = sizeof info;
  if (getsockopt(socket.get(), IPPROTO_TCP, TCP_INFO, &info, &length) != 0)
    throw std::runtime_error(errno_text("getsockopt TCP_INFO"));
  return info.tcpi_state;
}

bool wait_for_tcp_state(const Fd& socket, int state, Seconds timeout) {
  return wait_until([&] { return tcp_state(socket) == state; }, timeout, 1ms);
}

namespace {

// Blocks until the peer's FIN (read returns 0) or a reset; discards any data.
void read_until_closed(const Fd& socket) {
  char buf[256];
  for (;;) {
    const ssize_t n = read(socket.get(), buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR)) return;
  }
}

void expect_state(const Fd& socket, int state, const char* what) {
  if (!wait_for_tcp_state(socket, state))
    throw std::runtime_error(std::string(what) + ": socket still in state " + std::to_string(tcp_state(socket)) +
                             ", not " + std::to_string(state));
}

}  // namespace

ConnectionRun make_connections(const std::string& netns, const std::string& addr, size_t count, CloseMode mode,
                               uint16_t port) {
  ConnectionRun run;
  run_in_netns(netns, [&] {
    const Fd listener = tcp_listen(addr, port, 1024);
    run.server_port = local_port(listener);
    run.client_ports.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      Fd client = tcp_connect(addr, run.server_port);
      Fd server = tcp_accept(listener);
      run.client_ports.push_back(local_port(client));
      switch (mode) {
        case CloseMode::client_first:
          client.reset();
          read_until_closed(server);
          server.reset();
          break;
        case CloseMode::server_first:
          server.reset();
          read_until_closed(client);
          client.reset();
          break;
        case CloseMode::reset:
          close_with_reset(client);
          read_until_closed(server);
          server.reset();
          break;
        case CloseMode::half_close_then_reset:
          if (shutdown(client.get(), SHUT_WR) != 0) throw std::runtime_error(errno_text("shutdown"));
          read_until_closed(server);                                  // the client's FIN
          expect_state(client, TCP_FIN_WAIT2, "half-closed client");  // the server acked it
          close_with_reset(client);
          expect_state(server, TCP_CLOSE, "server after the client's reset");
          server.reset();
          break;
        case CloseMode::unread_data: {
          const char data[] = "unread";
          if (write(server.get(), data, sizeof data) != static_cast<ssize_t>(sizeof data))
            throw std::runtime_error(errno_text("write"));
          pollfd p{client.get(), POLLIN, 0};
          if (poll(&p, 1, 10000) != 1) throw std::runtime_error("the server's data never reached the client");
          client.reset();  // data unread: the kernel sends a reset instead of a FIN
          expect_state(server, TCP_CLOSE, "server after the client's abort");
          server.reset();
          break;
        }
        case CloseMode::server_keeps_open:
          client.reset();
          read_until_closed(server);
          run.kept.push_back(std::move(server));
          break;
      }
    }
  });
  return run;
}

// ---- BPF objects of a process --------------------------------------------------------------------

HeldBpfObjects held_bpf_objects(pid_t pid) {
  HeldBpfObjects held;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fdinfo", ec)) {
    std::ifstream in(entry.path());
    for (std::string key; in >> key;) {
      int64_t id = 0;
      if (key == "prog_id:" && in >> id) held.programs.insert(id);
      else if (key == "link_id:" && in >> id) held.links.insert(id);
    }
  }
  return held;
}

uint64_t bpf_recursion_misses(const HeldBpfObjects& held) {
  uint64_t misses = 0;
  for (int64_t id : held.programs) {
    const CommandResult r = run_command({"bpftool", "-j", "prog", "show", "id", std::to_string(id)}, {}, 10s);
    if (r.exit_code != 0) continue;
    try {
      misses += nlohmann::json::parse(r.out).value("recursion_misses", uint64_t{0});  // absent when 0
    } catch (const nlohmann::json::exception&) {
    }
  }
  return misses;
}

std::string recursion_note(pid_t pid) {
  return "kernel skipped " + std::to_string(bpf_recursion_misses(held_bpf_objects(pid))) +
         " runs of tcpsight's programs (bpftool recursion_misses, all namespaces)";
}

// ---- tcpsight output ----------------------------------------------------------------------------

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  // Only whole lines: the output of a process still running may end halfway through one.
  std::istringstream in(text.substr(0, text.rfind('\n') + 1));
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception& e) {
      ADD_FAILURE() << "not a JSON line: " << line << " (" << e.what() << ")";
    }
  }
  return out;
}

uint64_t transition_count(const nlohmann::json& report, const std::string& from, const std::string& to) {
  if (!report.contains("transitions")) return 0;
  for (const auto& t : report.at("transitions"))
    if (t.value("from", "") == from && t.value("to", "") == to) return t.value("count", uint64_t{0});
  return 0;
}

nlohmann::json stats_once(const Netns& ns) {
  const CommandResult r = ns.run({tcpsight_binary(), "stats", "--json", "--count", "1"});
  if (r.exit_code != 0) {
    ADD_FAILURE() << "tcpsight stats --json --count 1 in " << ns.name() << " exited " << r.exit_code << ": " << r.err;
    return nlohmann::json::object();
  }
  const auto reports = json_lines(r.out);
  if (reports.size() != 1) {
    ADD_FAILURE() << "expected one report, got " << reports.size() << ":\n" << r.out;
    return reports.empty() ? nlohmann::json::object() : reports.back();
  }
  return reports.front();
}

void report_figure(const std::string& name, double value) {
  std::ostringstream text;
  text << value;
  std::printf("[ figure   ] %s = %s\n", name.c_str(), text.str().c_str());
  std::fflush(stdout);
  ::testing::Test::RecordProperty(name, text.str());
}

void expect_counted(uint64_t counted, uint64_t kernel, uint64_t missed, const std::string& what, uint64_t per_run) {
  if (missed == 0) {
    EXPECT_EQ(counted, kernel) << what;
    return;
  }
  const uint64_t floor = kernel > missed * per_run ? kernel - missed * per_run : 0;
  EXPECT_TRUE(counted >= floor && counted <= kernel)
      << what << ": counted " << counted << ", the kernel's " << kernel << ", and the kernel skipped " << missed
      << " runs of tcpsight's programs (recursion guard), so at least " << floor;
}

uint64_t trace_missed(const std::string& trace_stderr) {
  const size_t at = trace_stderr.rfind(" missed by the kernel");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no summary from trace: " << trace_stderr;
    return 0;
  }
  const size_t start = trace_stderr.find_last_not_of("0123456789", at - 1) + 1;
  return std::stoull(trace_stderr.substr(start, at - start));
}

std::string proc_status_field(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) {
      const size_t at = line.find_first_not_of(" \t", field.size() + 1);
      return at == std::string::npos ? "" : line.substr(at);
    }
  return "<no " + field + ">";
}

bool within_fraction(double a, double b, double tolerance) {
  return std::abs(a - b) <= tolerance * std::max(std::abs(a), std::abs(b));
}

}  // namespace tcpsight::itest
