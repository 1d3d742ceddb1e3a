// Facts about the running kernel that are read from text: its release and its timer frequency.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tcpsight {

struct KernelVersion {
  int major = 0, minor = 0;
  auto operator<=>(const KernelVersion&) const = default;
};

// "6.1.0-57-amd64" -> 6.1; nullopt for text that does not start with MAJOR.MINOR.
std::optional<KernelVersion> parse_kernel_release(const std::string& release);

// The oldest kernel tcpsight supports: the tracepoint recursion guard that keeps its per-CPU
// counters exact, the per-namespace hash its TIME_WAIT detection reads, and the kernel matrix.
inline constexpr KernelVersion kOldestKernel{6, 1};

// CONFIG_HZ from a kernel config file's text ("CONFIG_HZ=250"), nullopt when absent.
std::optional<unsigned> hz_from_config(const std::string& config_text);

// CONFIG_HZ from one reading of jiffies_64 and of CLOCK_MONOTONIC at the same moment: the kernel
// starts jiffies at INITIAL_JIFFIES, 300 s worth of ticks before 2^32 (include/linux/jiffies.h), so
// jiffies_64 - 2^32 = (uptime - 300 s) * HZ. The result is the nearest value Kconfig allows (100, 250,
// 300, 1000); nullopt when none fits within 2% (e.g. uptime close to 300 s, where it says nothing).
std::optional<unsigned> hz_from_jiffies(uint64_t jiffies64, double monotonic_seconds);

}  // namespace tcpsight
