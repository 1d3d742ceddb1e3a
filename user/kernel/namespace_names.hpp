// The name users recognise for a network namespace that --all-namespaces watches: the container,
// pod or systemd service whose process lives in it, else its /run/netns name, else its inode. Reads
// /proc/PID/cgroup and the container runtimes' own files under a root directory (tests pass a fake
// one) and caches what it read. A runtime that is absent, or a file that is missing or malformed,
// only makes the name plainer (a short container id); it is never an error.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tcpsight {

struct NamespaceName {
  std::string name;          // safe to print or put in a label (core/display_name)
  std::string kind;          // "podman", "docker", "containerd", "cri-o", "kubernetes", "systemd",
                             // "netns" (a /run/netns name), "host", "inode" (nothing better known)
  std::string container_id;  // the 64-hex id when a container's process named it, else empty
};

// One owner asks; not thread-safe.
class NamespaceNamer {
 public:
  // `root`: where the host's files are ("/"; a test's temp dir holding proc/, var/lib/...).
  explicit NamespaceNamer(std::string root = "/");

  // pid: a process in the namespace (0 if none known); run_netns_name: its name under /run/netns
  // ("" if none); inode: the namespace's inode; host: true for the namespace of PID 1.
  // In order: "host"; the workload of pid's cgroup (podman and CRI-O: names[0] of containers.json,
  // CRI-O's "k8s_<container>_<pod>_<namespace>_..." as "<namespace>/<pod>"; docker: "Name" of
  // config.v2.json; a pod: its hostname in the kubelet's etc-hosts, else "pod-<uid>"; containerd:
  // the short id; systemd: the unit); then run_netns_name; else "netns-<inode>".
  NamespaceName name_for(pid_t pid, const std::string& run_netns_name, uint32_t inode, bool host);

 private:
  // What identifies one version of a file: podman rewrites containers.json by renaming a new one.
  struct FileStamp {
    int64_t mtime_ns = -1;
    uint64_t size = 0;
    uint64_t inode = 0;
    bool operator==(const FileStamp&) const = default;
  };

  std::string path(std::string_view relative) const { return root_ + std::string(relative); }
  // names[0] of the container in containers.json (podman, CRI-O); empty when not there.
  std::string storage_name(const std::string& id);
  // "Name" of docker's config.v2.json without its '/'; empty when not there.
  std::string docker_name(const std::string& id);
  // The pod's hostname from the kubelet's etc-hosts; empty when not there.
  std::string pod_hostname(const std::string& uid);

  std::string root_;  // ends with '/'
  FileStamp storage_stamp_;  // of containers.json when storage_names_ was read
  std::unordered_map<std::string, std::string> storage_names_;  // container id -> names[0]
  std::unordered_map<std::string, std::string> docker_names_;   // container id -> Name, once found
  std::unordered_map<std::string, std::string> pod_names_;      // pod uid -> hostname, once found
};

}  // namespace tcpsight
