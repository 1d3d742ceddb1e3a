#include "kernel/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "core/errors.hpp"
#include "kernel/proc_file.hpp"

namespace tcpsight {

namespace {

// capset(2)/capget(2) directly: three calls do not justify a library (libcap).
struct CapabilitySets {
  uint64_t effective = 0, permitted = 0, inheritable = 0;
};

CapabilitySets get_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0)
    throw UserError(fmt::format("cannot read this process's capabilities: {}", std::strerror(errno)));
  const auto join = [](uint32_t low, uint32_t high) { return uint64_t(high) << 32 | low; };
  return {join(data[0].effective, data[1].effective), join(data[0].permitted, data[1].permitted),
          join(data[0].inheritable, data[1].inheritable)};
}

void set_capabilities(const CapabilitySets& sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(sets.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(sets.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(sets.inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &header, data) != 0)
    throw UserError(fmt::format("cannot drop capabilities: {}", std::strerror(errno)));
}

int last_capability() {
  try {
    return std::stoi(read_proc_file("/proc/sys/kernel/cap_last_cap"));
  } catch (const std::exception&) {
    return CAP_LAST_CAP;
  }
}

size_t thread_count() {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    ++n;
  return n;
}

struct Account {
  uid_t uid;
  gid_t gid;
};

Account account_of(const std::string& user) {
  passwd pw{};
  passwd* found = nullptr;
  std::string buffer(16384, '\0');
  const int err = getpwnam_r(user.c_str(), &pw, buffer.data(), buffer.size(), &found);
  if (!found) {
    // A number names the uid itself (as for containers' users without a passwd entry).
    char* end = nullptr;
    errno = 0;
    const unsigned long uid = std::strtoul(user.c_str(), &end, 10);
    if (!user.empty() && *end == '\0' && errno == 0 && uid > 0 && uid < 0xffffffffUL)
      return {static_cast<uid_t>(uid), static_cast<gid_t>(uid)};
    throw UserError(fmt::format("--user {}: {}", user, err ? std::strerror(err) : "no such user"));
  }
  if (pw.pw_uid == 0) throw UserError(fmt::format("--user {}: that is root; name an unprivileged user", user));
  return {pw.pw_uid, pw.pw_gid};
}

}  // namespace

std::vector<int> namespace_naming_capabilities() { return {CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH}; }

std::vector<int> namespace_entry_capabilities() {
  std::vector<int> caps = namespace_naming_capabilities();
  caps.push_back(CAP_SYS_ADMIN);
  return caps;
}

uint64_t effective_capabilities() { return get_capabilities().effective; }

void drop_privileges(const PrivilegeDrop& drop) {
  if (const size_t threads = thread_count(); threads != 1)
    throw UserError(fmt::format("internal error: privileges dropped with {} threads running (capabilities are per thread)",
                                threads));
  // Only what the process holds can be kept (capset cannot raise the permitted set): a service
  // started without, say, CAP_DAC_READ_SEARCH goes on without it rather than failing here.
  uint64_t kept = 0;
  for (int cap : drop.keep) kept |= uint64_t(1) << cap;
  kept &= get_capabilities().permitted;
  const std::optional<Account> account = drop.user ? std::optional(account_of(*drop.user)) : std::nullopt;

  // The bounding set first: dropping from it needs CAP_SETPCAP, which goes last. Without it (a
  // service started with only CAP_BPF and CAP_PERFMON) the set stays: it limits only what an
  // execve could gain, and no_new_privs below rules that out anyway.
  if (get_capabilities().effective >> CAP_SETPCAP & 1)
    for (int cap = 0; cap <= last_capability(); ++cap)
      if (!(kept >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
        throw UserError(fmt::format("cannot drop capability {} from the bounding set: {}", cap, std::strerror(errno)));
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);  // EINVAL before 4.3: there is none then

  if (account) {
    // Keep the permitted set across setuid (the kernel clears it otherwise); what is not kept is
    // dropped just below. glibc applies setgroups/setresgid/setresuid to every thread.
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(0, nullptr) != 0 ||
        setresgid(account->gid, account->gid, account->gid) != 0 ||
        setresuid(account->uid, account->uid, account->uid) != 0)
      throw UserError(fmt::format("--user {}: cannot switch to uid {} gid {}: {}", *drop.user, account->uid,
                                  account->gid, std::strerror(errno)));
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  }
  set_capabilities({.effective = kept, .permitted = kept, .inheritable = 0});
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw UserError(fmt::format("cannot set no_new_privs: {}", std::strerror(errno)));
  const CapabilitySets now = get_capabilities();
  if (now.effective != kept || now.permitted != kept)
    throw UserError(fmt::format("capabilities are {:#x} after dropping to {:#x}", now.effective, kept));
}

}  // namespace tcpsight
