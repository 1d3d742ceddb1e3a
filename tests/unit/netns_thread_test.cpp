// NetnsThread: a namespace that cannot be entered (gone, or its path now names another) is a false
// with the reason, never an exception or a thread left in a namespace not its own.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "kernel/netns_thread.hpp"

namespace tcpsight {
namespace {

uint32_t own_netns_inode() {
  struct stat st{};
  return stat("/proc/self/ns/net", &st) == 0 ? static_cast<uint32_t>(st.st_ino) : 0;
}

TEST(NetnsThread, AVanishedNamespaceIsAFalseWithItsReason) {
  NetnsThread thread;
  std::string error;
  bool ran = false;
  EXPECT_FALSE(thread.run_in("/run/netns/ts-never-made-namespace", 4026532999u, [&] { ran = true; }, error));
  EXPECT_FALSE(ran);
  EXPECT_NE(error.find("cannot open /run/netns/ts-never-made-namespace"), std::string::npos) << error;
}

TEST(NetnsThread, APathThatNamesAnotherNamespaceNowIsNotEntered) {
  NetnsThread thread;
  std::string error;
  bool ran = false;
  // /proc/self/ns/net opens this process's namespace, not the one of inode 1 asked for (a pid reused).
  EXPECT_FALSE(thread.run_in("/proc/self/ns/net", 1, [&] { ran = true; }, error));
  EXPECT_FALSE(ran);
  EXPECT_NE(error.find("names another namespace now"), std::string::npos) << error;
}

TEST(NetnsThread, WorkThatThrowsIsRethrownAndTheThreadServesOn) {
  if (geteuid() != 0) GTEST_SKIP() << "entering a namespace, even one's own, needs CAP_SYS_ADMIN";
  NetnsThread thread;
  std::string error;
  const uint32_t own = own_netns_inode();
  EXPECT_THROW(thread.run_in("/proc/self/ns/net", own, [] { throw std::runtime_error("boom"); }, error),
               std::runtime_error);
  bool ran = false;
  EXPECT_TRUE(thread.run_in("/proc/self/ns/net", own, [&] { ran = true; }, error)) << error;
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace tcpsight
