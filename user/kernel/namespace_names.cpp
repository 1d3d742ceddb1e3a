#include "kernel/namespace_names.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

#include "core/display_name.hpp"
#include "core/workload_identity.hpp"
#include "kernel/proc_file.hpp"

namespace tcpsight {

namespace {

constexpr std::string_view kStorageContainers = "var/lib/containers/storage/overlay-containers/containers.json";
// The names of this many containers or pods are kept; past it the cache starts again, so that a
// host that runs containers for months does not grow it without end.
constexpr size_t kMaxCachedNames = 4096;

std::string short_id(std::string_view id) { return std::string(id.substr(0, 12)); }

// "k8s_<container>_<pod>_<namespace>_<uid>_<attempt>" (how CRI-O and dockershim name a pod's
// containers; Kubernetes names hold no '_') -> "<namespace>/<pod>"; empty for any other name.
std::string kubernetes_pod_of(std::string_view name) {
  std::vector<std::string_view> fields;
  for (size_t at = 0; at <= name.size();) {
    const size_t sep = std::min(name.find('_', at), name.size());
    fields.push_back(name.substr(at, sep - at));
    at = sep + 1;
  }
  if (fields.size() != 6 || fields[0] != "k8s" || fields[2].empty() || fields[3].empty()) return {};
  return fmt::format("{}/{}", fields[3], fields[2]);
}

// The hostname on the pod's own line of the kubelet's etc-hosts: the first line that is not
// loopback, the ip6-* entries or a comment, before the hostAliases the pod spec adds. The last
// name of the line (with a subdomain the line reads "IP fqdn hostname").
std::string hostname_in_etc_hosts(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# Entries added by HostAliases")) break;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string address, name, last;
    if (!(fields >> address)) continue;
    while (fields >> name) last = name;
    if (last.empty() || address.starts_with("127.") || address == "::1" || last.starts_with("ip6-") ||
        last == "localhost")
      continue;
    return last;
  }
  return {};
}

template <typename Map>
void remember(Map& map, const std::string& key, const std::string& value) {
  if (map.size() >= kMaxCachedNames) map.clear();
  map.emplace(key, value);
}

}  // namespace

NamespaceNamer::NamespaceNamer(std::string root) : root_(std::move(root)) {
  if (root_.empty() || root_.back() != '/') root_ += '/';
}

std::string NamespaceNamer::storage_name(const std::string& id) {
  const std::string file = path(kStorageContainers);
  FileStamp stamp;
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0)
    stamp = {static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
             static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_ino)};
  if (stamp != storage_stamp_) {
    storage_stamp_ = stamp;
    storage_names_.clear();
    const nlohmann::json containers = nlohmann::json::parse(read_proc_file(file.c_str()), nullptr, false);
    if (containers.is_array()) {
      for (const nlohmann::json& c : containers) {
        if (!c.is_object()) continue;
        const auto cid = c.find("id");
        const auto names = c.find("names");
        if (cid == c.end() || !cid->is_string() || names == c.end() || !names->is_array() || names->empty() ||
            !(*names)[0].is_string())
          continue;
        storage_names_.emplace(cid->get<std::string>(), (*names)[0].get<std::string>());
      }
    }
  }
  const auto found = storage_names_.find(id);
  return found == storage_names_.end() ? std::string{} : found->second;
}

std::string NamespaceNamer::docker_name(const std::string& id) {
  if (const auto found = docker_names_.find(id); found != docker_names_.end()) return found->second;
  const std::string file = path(fmt::format("var/lib/docker/containers/{}/config.v2.json", id));
  const nlohmann::json config = nlohmann::json::parse(read_proc_file(file.c_str()), nullptr, false);
  if (!config.is_object()) return {};
  const auto name = config.find("Name");
  if (name == config.end() || !name->is_string()) return {};
  std::string text = name->get<std::string>();
  if (text.starts_with('/')) text.erase(0, 1);
  if (!text.empty()) remember(docker_names_, id, text);
  return text;
}

std::string NamespaceNamer::pod_hostname(const std::string& uid) {
  if (const auto found = pod_names_.find(uid); found != pod_names_.end()) return found->second;
  const std::string file = path(fmt::format("var/lib/kubelet/pods/{}/etc-hosts", uid));
  std::string name = hostname_in_etc_hosts(read_proc_file(file.c_str()));
  if (!name.empty()) remember(pod_names_, uid, name);
  return name;
}

NamespaceName NamespaceNamer::name_for(pid_t pid, const std::string& run_netns_name, uint32_t inode, bool host) {
  if (host) return {"host", "host", ""};
  using Kind = WorkloadIdentity::Kind;
  const WorkloadIdentity workload =
      pid > 0 ? identify_cgroup(read_proc_file(path(fmt::format("proc/{}/cgroup", pid)).c_str())) : WorkloadIdentity{};
  const std::string& id = workload.container_id;
  const auto named = [&](std::string name, const char* kind) {
    return NamespaceName{safe_display_name(name), kind, id};
  };
  switch (workload.kind) {
    case Kind::podman: {
      const std::string name = storage_name(id);
      return named(name.empty() ? short_id(id) : name, "podman");
    }
    case Kind::crio: {
      const std::string name = storage_name(id);
      const std::string pod = kubernetes_pod_of(name);
      return named(!pod.empty() ? pod : !name.empty() ? name : short_id(id), "cri-o");
    }
    case Kind::docker: {
      const std::string name = docker_name(id);
      return named(name.empty() ? short_id(id) : name, "docker");
    }
    case Kind::containerd:
      return named(short_id(id), "containerd");
    case Kind::kubernetes_pod: {
      if (std::string name = pod_hostname(workload.pod_uid); !name.empty()) return named(name, "kubernetes");
      if (!id.empty()) {
        if (std::string pod = kubernetes_pod_of(storage_name(id)); !pod.empty()) return named(pod, "kubernetes");
        if (std::string pod = kubernetes_pod_of(docker_name(id)); !pod.empty()) return named(pod, "kubernetes");
      }
      return named("pod-" + workload.pod_uid, "kubernetes");
    }
    case Kind::systemd_unit:
    case Kind::none:
      break;
  }
  // A name under /run/netns says more than the unit of whoever ran `ip netns exec` in it; a unit's
  // own namespace (PrivateNetwork=, NetworkNamespacePath=) has none, and goes by the unit.
  if (!run_netns_name.empty()) return {safe_display_name(run_netns_name), "netns", ""};
  if (workload.kind == Kind::systemd_unit) return named(workload.unit, "systemd");
  return {fmt::format("netns-{}", inode), "inode", ""};
}

}  // namespace tcpsight
