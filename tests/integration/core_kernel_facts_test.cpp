// What tcpsight finds out about the running kernel at start-up, against the kernel's own word: its
// release, its tracepoints' BTF prototypes, and its CONFIG_HZ, also where no kernel config file can
// be read (Debian kernels in containers).
#include <sys/utsname.h>

#include <regex>

#include "harness.hpp"

namespace tcpsight::itest {
namespace {

nlohmann::json kernel_of(const nlohmann::json& report) {
  EXPECT_TRUE(report.contains("kernel")) << report.dump();
  return report.value("kernel", nlohmann::json::object());
}

// CONFIG_HZ from the kernel's own config, as a user would look it up.
std::optional<unsigned> configured_hz() {
  utsname u{};
  uname(&u);
  const auto r = run_command({"sh", "-c",
                              std::string("{ zcat /proc/config.gz 2>/dev/null || cat /boot/config-") + u.release +
                                  "; } | sed -n 's/^CONFIG_HZ=//p'"});
  if (r.exit_code != 0 || r.out.empty()) return std::nullopt;
  return static_cast<unsigned>(std::stoul(r.out));
}

TEST(KernelFacts, ReleaseAndTracepointVariantsAreTheKernels) {
  TS_REQUIRE_ROOT_OR_SKIP();
  Netns ns("facts");
  const nlohmann::json k = kernel_of(stats_once(ns));
  utsname u{};
  uname(&u);
  EXPECT_EQ(k.value("release", ""), u.release);
  EXPECT_EQ(k.value("retransmit_reports_errors", false), tracepoint_arguments("tcp_retransmit_skb") >= 3) << k.dump();
  EXPECT_EQ(k.value("reset_reports_reason", false), tracepoint_arguments("tcp_send_reset") >= 3) << k.dump();
  const auto hz = configured_hz();
  ASSERT_TRUE(hz) << "this machine has no kernel config to check CONFIG_HZ against";
  EXPECT_EQ(k.value("hz", 0u), *hz) << k.dump();
}

TEST(KernelFacts, WithoutAKernelConfigHzComesFromJiffiesAndTimeWaitLifetimesHold) {
  TS_REQUIRE_ROOT_OR_SKIP();
  const auto hz = configured_hz();
  ASSERT_TRUE(hz) << "this machine has no kernel config to check CONFIG_HZ against";
  Netns ns("facts-nohz");
  constexpr size_t kSockets = 50;
  make_connections(ns.name(), "127.0.0.1", kSockets, CloseMode::client_first);

  // As in a container: no /boot, no /proc/config.gz (hidden in a mount namespace of its own).
  const auto r = ns.run({"unshare", "--mount", "--propagation", "private", "sh", "-c",
                         "mount -t tmpfs none /boot && { test ! -e /proc/config.gz || mount --bind /dev/null "
                         "/proc/config.gz; } && exec \"$0\" stats --json --count 1",
                         tcpsight_binary()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto reports = json_lines(r.out);
  ASSERT_EQ(reports.size(), 1u) << r.out;
  const nlohmann::json k = kernel_of(reports.front());
  EXPECT_EQ(k.value("hz_source", ""), "jiffies") << k.dump();
  EXPECT_EQ(k.value("hz", 0u), *hz) << k.dump();
  report_figure("CONFIG_HZ from jiffies", k.value("hz", 0.0));

  // The lifetimes it converts with that HZ: TIME_WAIT lasts 60 s (TCP_TIMEWAIT_LEN), and these
  // sockets were made moments ago. 15 s of slack covers a slow (emulated) machine.
  const auto& tw = reports.front().at("time_wait");
  EXPECT_EQ(tw.at("count").get<size_t>(), kSockets) << tw.dump();
  EXPECT_LE(tw.at("remaining_seconds").at("max").get<double>(), 60.0) << tw.dump();
  EXPECT_GE(tw.at("remaining_seconds").at("min").get<double>(), 45.0) << tw.dump();
}

}  // namespace
}  // namespace tcpsight::itest
