// Shared harness for the integration tests: real binary, real kernel, private network namespaces.
//
// Everything here owns what it creates (namespaces, child processes, firewall rules, sockets) and
// removes it in its destructor, so a failed assertion never leaves anything behind.
//
//   TEST(TopExample, Something) {
//     TS_REQUIRE_ROOT_OR_SKIP();                           // skip on a laptop, FAIL when CI=true
//     itest::Netns ns("example");                          // "ts-example-<pid>-<n>", lo up
//     itest::Child stats({itest::tcpsight_binary(), "stats", "--json"}, ns.inside());
//     ASSERT_TRUE(stats.wait_for_lines(itest::Child::Stream::out, 1, 20s));  // loaded and attached
//     const auto before = ns.kernel_counters();
//     itest::make_connections(ns.name(), "127.0.0.1", 100, itest::CloseMode::client_first);
//     stats.signal(SIGTERM);
//     ASSERT_EQ(stats.wait(10s), 0);
//     const auto reports = itest::json_lines(stats.out());
//   }
//
// Traffic from another process: tests/tools/tcp_peer (test_tool("tcp_peer"); see its header for
// options), e.g. Child peer({test_tool("tcp_peer"), "--count", "50", "--hold", "2"}, ns.inside()).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/netstat_parse.hpp"

namespace tcpsight::itest {

using namespace std::chrono_literals;
using Seconds = std::chrono::duration<double>;

// ---- paths --------------------------------------------------------------------------------------

// The tcpsight binary under test (build/tcpsight).
std::string tcpsight_binary();
// A helper program built from tests/tools/NAME.cpp (e.g. "tcp_peer").
std::string test_tool(const std::string& name);

// ---- prerequisites ------------------------------------------------------------------------------

// Why the integration tests cannot run here (not root, no BTF, no `ip`), or nullopt when they can.
std::optional<std::string> missing_prerequisite();
// True when env CI == "true": a missing prerequisite is then a failure, not a skip.
bool running_in_ci();

// Use as the first statement of every integration test body.
#define TS_REQUIRE_ROOT_OR_SKIP()                                                           \
  do {                                                                                      \
    if (const auto ts_missing_ = ::tcpsight::itest::missing_prerequisite()) {               \
      if (::tcpsight::itest::running_in_ci()) FAIL() << "CI=true but " << *ts_missing_;     \
      GTEST_SKIP() << *ts_missing_;                                                         \
    }                                                                                       \
  } while (0)

// The number of arguments the running kernel's BTF declares for a tracepoint (btf_trace_NAME, not
// counting its private-data pointer), read with bpftool; -1 when there is no such tracepoint. Tests
// gate on this, the kernel's own word, where a tracepoint changed between kernels.
int tracepoint_arguments(const std::string& tracepoint);


// ---- commands -----------------------------------------------------------------------------------

struct CommandResult {
  int exit_code = -1;  // exit status; 128+N when killed by signal N; -1 when it timed out (then killed)
  std::string out, err;
};

struct SpawnOptions {
  std::string netns;          // run inside this named namespace (/run/netns/NAME); empty: the test's own
  std::vector<std::string> env;  // extra "KEY=VALUE" entries added to the environment
};

// Runs argv to completion (killed after `timeout`), capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv, const SpawnOptions& options = {},
                          Seconds timeout = 30s);
// Same; fails the current test (ADD_FAILURE) with its stderr when the exit status is not 0.
std::string run_checked(const std::vector<std::string>& argv, const SpawnOptions& options = {},
                        Seconds timeout = 30s);

// ---- child processes ----------------------------------------------------------------------------

// A running process with stdout and stderr drained in the background (so it never blocks on a full
// pipe). The destructor sends SIGKILL to its pid (if still running) and reaps it. The child also gets
// SIGKILL if the thread that created it exits (PR_SET_PDEATHSIG): create it on the test's own thread.
// With options.netns the child joins the namespace itself (setns before exec), so pid() is the pid
// of the program, not of an `ip netns exec` wrapper.
class Child {
 public:
  enum class Stream { out, err };

  Child(const std::vector<std::string>& argv, const SpawnOptions& options = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signo) const;
  // Exit status (128+N when killed by signal N), or nullopt when it did not end within timeout.
  std::optional<int> wait(Seconds timeout);
  bool running();

  // Waits until a line containing `needle` has appeared on the stream; returns that line.
  std::optional<std::string> wait_for_line(Stream s, const std::string& needle, Seconds timeout);
  // Waits until at least n complete lines have appeared on the stream.
  bool wait_for_lines(Stream s, size_t n, Seconds timeout);
  // Everything captured so far (complete once the process has ended and wait() returned).
  std::string out() const { return captured(Stream::out); }
  std::string err() const { return captured(Stream::err); }
  std::vector<std::string> lines(Stream s) const;

 private:
  struct Capture {
    int fd = -1;
    std::string text;
    bool eof = false;
    std::thread reader;
  };
  std::string captured(Stream s) const;
  Capture& capture(Stream s) { return s == Stream::out ? out_ : err_; }
  const Capture& capture(Stream s) const { return s == Stream::out ? out_ : err_; }
  void drain(Capture& c);
  void join_readers();

  pid_t pid_ = -1;
  std::optional<int> status_;
  Capture out_, err_;
  bool stopping_ = false;  // readers give up at the next poll timeout (a grandchild may hold a pipe)
  mutable std::mutex mutex_;
  std::condition_variable grown_;
};

// ---- network namespaces -------------------------------------------------------------------------

// A fresh named network namespace "ts-<tag>-<pid>-<n>" with lo up; deleted in the destructor (its
// firewall rules, sysctls and interfaces go with it).
class Netns {
 public:
  explicit Netns(const std::string& tag);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }
  SpawnOptions inside() const { return {.netns = name_, .env = {}}; }

  CommandResult run(const std::vector<std::string>& argv, Seconds timeout = 30s) const;
  std::string run_checked(const std::vector<std::string>& argv, Seconds timeout = 30s) const;
  // `sysctl -w key=value` inside the namespace, e.g. set_sysctl("net.ipv4.tcp_syncookies", "0").
  void set_sysctl(const std::string& key, const std::string& value) const;

  // /proc/net/snmp and /proc/net/netstat of this namespace: "Tcp.ActiveOpens", "TcpExt.TCPSynRetrans", ...
  KernelCounters kernel_counters() const;
  // Number of sockets `ss -tanH state <filter>` lists here (filter e.g. "time-wait", "syn-recv").
  size_t ss_count(const std::string& state_filter, const std::vector<std::string>& extra = {}) const;
  // Waits until ss_count(state_filter) is at least n, or the timeout passed; returns the last count.
  size_t wait_for_ss_count(const std::string& state_filter, size_t n, Seconds timeout) const;
  // What `ss -tanH` counts in each of the states of kSsStates, keyed by tcpsight's name.
  std::map<std::string, size_t> ss_counts() const;
  // Timewait sockets `ss -tanoH state <filter>` lists (their timer is "timewait"), e.g. the
  // orphaned FIN_WAIT2 connections the kernel keeps as timewait sockets: ss_timewait_count("fin-wait-2").
  size_t ss_timewait_count(const std::string& state_filter) const;
  // `tw` of this namespace's /proc/net/sockstat: every timewait socket (substate TIME_WAIT or FIN_WAIT2).
  size_t sockstat_tw() const;
  // The namespace's inode: what tcpsight reports it as ("netns").
  uint32_t inode() const;

 private:
  std::string name_;
};

// The TCP states `ss` can filter on, as tcpsight names them and as ss does.
struct SsState {
  const char* tcpsight;
  const char* ss;
};
inline constexpr SsState kSsStates[] = {
    {"ESTABLISHED", "established"}, {"SYN_SENT", "syn-sent"},   {"SYN_RECV", "syn-recv"},
    {"FIN_WAIT1", "fin-wait-1"},    {"FIN_WAIT2", "fin-wait-2"}, {"TIME_WAIT", "time-wait"},
    {"CLOSE", "closed"},            {"CLOSE_WAIT", "close-wait"}, {"LAST_ACK", "last-ack"},
    {"LISTEN", "listening"},        {"CLOSING", "closing"},
};

// Seconds since the epoch (CLOCK_REALTIME), the clock of the "time" stamp of a report.
double wall_seconds_now();

// Polls `done` every `poll` until it holds (true) or `timeout` passes (false): for waiting on the
// kernel (a socket state, an ss count), never a fixed sleep.
bool wait_until(const std::function<bool()>& done, Seconds timeout, Seconds poll = 20ms);

// Joins two namespaces with a veth pair named `ifname` on both sides and gives each end an address
// with prefix, e.g. connect_veth(a, "10.200.1.1/24", b, "10.200.1.2/24") or IPv6 ("fd00:200::1/64",
// added without duplicate address detection, so usable at once). Goes away with the namespaces.
void connect_veth(const Netns& a, const std::string& cidr_a, const Netns& b, const std::string& cidr_b,
                  const std::string& ifname = "tsveth0");

// An iptables (or ip6tables) rule inside a namespace: `-A <rule...>` now, `-D <rule...>` in the destructor.
class FirewallRule {
 public:
  FirewallRule(const Netns& ns, std::vector<std::string> rule, bool ipv6 = false);
  ~FirewallRule();
  FirewallRule(const FirewallRule&) = delete;
  FirewallRule& operator=(const FirewallRule&) = delete;
  void remove();  // early removal; the destructor then does nothing

 private:
  const Netns& ns_;
  std::vector<std::string> rule_;
  bool ipv6_;
  bool active_ = false;
};

// Runs fn on a thread that has joined the namespace; sockets created there stay in that namespace
// and can be used from any thread afterwards. Rethrows fn's exception.
void run_in_netns(const std::string& netns, const std::function<void()>& fn);

// ---- sockets ------------------------------------------------------------------------------------
// Plain blocking TCP sockets for making traffic from the test process. Call these inside
// run_in_netns to place the sockets in a namespace. Errors throw std::runtime_error.

// An owned file descriptor (closed in the destructor).
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release();
  void reset();  // close now

 private:
  int fd_ = -1;
};

// A listener on addr ("127.0.0.1", "::1", "10.200.1.2") and port (0: ephemeral).
Fd tcp_listen(const std::string& addr, uint16_t port = 0, int backlog = 128);
// Connects to addr:port. Blocking: returns once established (throws on failure); non-blocking:
// returns right after the SYN is sent (EINPROGRESS).
Fd tcp_connect(const std::string& addr, uint16_t port, bool nonblocking = false);
Fd tcp_accept(const Fd& listener);
uint16_t local_port(const Fd& socket);
// Closes with SO_LINGER 0, so the kernel sends a reset instead of a FIN.
void close_with_reset(Fd& socket);
// The kernel's state of a TCP socket (TCP_INFO tcpi_state: TCP_ESTABLISHED, TCP_FIN_WAIT2, ...).
int tcp_state(const Fd& socket);
// Waits until the socket is in `state`; false after the timeout.
bool wait_for_tcp_state(const Fd& socket, int state, Seconds timeout = 10s);

enum class CloseMode {
  client_first,  // client closes, server closes after reading EOF: client socket goes to TIME_WAIT
  server_first,  // server closes, client closes after reading EOF: server socket goes to TIME_WAIT
  reset,         // client closes with a reset: no TIME_WAIT
  // client shuts down its sending side, waits in FIN_WAIT2 for the server's ACK, then closes with
  // SO_LINGER 0: FIN_WAIT2 -> CLOSE with a reset, no TIME_WAIT socket
  half_close_then_reset,
  // server sends data, client closes without reading it: the kernel aborts with a reset, no TIME_WAIT
  unread_data,
  // client closes, server reads EOF and keeps its socket open (CLOSE_WAIT, in ConnectionRun::kept):
  // the orphaned client connection becomes a timewait socket in its FIN_WAIT2 substate
  server_keeps_open,
};

struct ConnectionRun {
  uint16_t server_port = 0;
  std::vector<uint16_t> client_ports;  // one per connection made, in order
  std::vector<Fd> kept;                // sockets left open (server_keeps_open: the server ends)
};

// In `netns`: a listener on addr:port (0: ephemeral), then `count` connections made one after another
// from this process (so getpid() owns them), each accepted and closed as `mode` says. Returns when all
// are closed on both ends; the listener is closed too.
ConnectionRun make_connections(const std::string& netns, const std::string& addr, size_t count, CloseMode mode,
                               uint16_t port = 0);

// A server whose connections stay half-open: two namespaces joined by a veth (client_addr and
// server_addr, /24), a listener on server_addr (backlog 4096, SYN cookies off, a SYN backlog of
// 8192, so the kernel keeps every request socket), and an INPUT rule in the server namespace that
// drops the client's handshake-completing ACK. Everything is undone in the destructor.
struct HalfOpenServer {
  HalfOpenServer(const std::string& tag, const std::string& client_addr, const std::string& server_addr);
  Netns client_ns;
  Netns server_ns;
  Fd listener;
  uint16_t port = 0;
  std::optional<FirewallRule> drop_final_ack;
};

// ---- BPF objects of a process --------------------------------------------------------------------

// The BPF programs and links a process holds open (ids from /proc/PID/fdinfo "prog_id:", "link_id:").
struct HeldBpfObjects {
  std::set<int64_t> programs, links;
};
HeldBpfObjects held_bpf_objects(pid_t pid);
// Sum over these programs of the kernel's recursion_misses: runs skipped because the program was
// already running on that CPU (e.g. a softirq interrupting it). Covers events of every namespace.
uint64_t bpf_recursion_misses(const HeldBpfObjects& held);
// A note for failure messages: "kernel skipped N runs of the programs (recursion_misses)".
std::string recursion_note(pid_t pid);

// ---- tcpsight output ----------------------------------------------------------------------------

// Each non-empty line parsed as JSON; a line that is not JSON fails the test (ADD_FAILURE) and is skipped.
// Text after the last newline (a line still being written) is left out.
std::vector<nlohmann::json> json_lines(const std::string& text);
// The last report about namespace `inode` among `stats -A --json` lines; nullopt when none is.
std::optional<nlohmann::json> last_namespace_report(const std::vector<nlohmann::json>& reports, uint32_t inode);
// count of {"from": from, "to": to} in a stats report's "transitions", 0 when absent.
uint64_t transition_count(const nlohmann::json& report, const std::string& from, const std::string& to);
// Runs `tcpsight stats --json --count 1` in the namespace and returns its report (ADD_FAILURE if it fails).
nlohmann::json stats_once(const Netns& ns);

// Prints "[ figure   ] NAME = VALUE" (so CI logs show what was measured) and records it as a test
// property (in --gtest_output=xml).
void report_figure(const std::string& name, double value);

// How many times slower this machine is than the one CPU budgets were set on (a 2-core Debian 12
// VM), at least 1: at its own code (a loop of multiplications, 25.5 ms of CPU there) and in the
// kernel (10,000 reads of a /proc file, 32 ms there). QEMU's emulation (the kernel matrix) slows
// the second far more: 1.4-1.8 and 23-30 times (6.1 and 6.12, 2026-12-06). A budget "1% of a core"
// holds user time scaled by the first and system time by the second.
double compute_slowdown();
double kernel_slowdown();
// `counted` is tcpsight's count of `kernel` things the kernel did: equal, unless the kernel skipped
// runs of tcpsight's programs (`missed`, its recursion guard; tcpsight shows them as missed and
// they are in no count), each of which may have left out up to `per_run` of them:
// kernel - missed * per_run <= counted <= kernel. Fails the test (ADD_FAILURE) otherwise.
void expect_counted(uint64_t counted, uint64_t kernel, uint64_t missed, const std::string& what,
                    uint64_t per_run = 1);
// The number before " missed by the kernel" in the summary trace prints to stderr at its end.
uint64_t trace_missed(const std::string& trace_stderr);

// A field of /proc/PID/status ("CapEff", "Uid", "NoNewPrivs") as the kernel writes it, or
// "<no FIELD>".
std::string proc_status_field(pid_t pid, const std::string& field);

// |a - b| <= tolerance * max(a, b), e.g. within_fraction(x, y, 0.01) for "within 1%".
bool within_fraction(double a, double b, double tolerance);

}  // namespace tcpsight::itest
