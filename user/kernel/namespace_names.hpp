// TEMPORARY STUB (replaced by the netns-names branch)
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <string>
namespace tcpsight {
struct NamespaceName { std::string name; std::string kind; std::string container_id; };
class NamespaceNamer {
 public:
  explicit NamespaceNamer(std::string root = "/") : root_(std::move(root)) {}
  NamespaceName name_for(pid_t, const std::string& run_netns_name, uint32_t inode, bool host) {
    if (host) return {"host", "host", ""};
    if (!run_netns_name.empty()) return {run_netns_name, "netns", ""};
    return {"netns-" + std::to_string(inode), "inode", ""};
  }
 private:
  std::string root_;
};
}
