#include "core/workload_identity.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace tcpsight {

namespace {

using Kind = WorkloadIdentity::Kind;

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// A kubelet pod UID: lowercase hex with dashes (36 characters), or with '_' as systemd slice names
// write it; a static pod's UID is 32 hex without dashes.
bool is_pod_uid(std::string_view uid) {
  return !uid.empty() && uid.size() <= 64 &&
         std::all_of(uid.begin(), uid.end(), [](char c) { return is_hex(c) || c == '-' || c == '_'; });
}

// One container runtime's cgroup name: "<prefix><64 hex>" with or without ".scope". conmon's own
// cgroups ("libpod-conmon-<id>", "crio-conmon-<id>.scope") do not match: "conmon-..." is not an id.
struct ContainerScope {
  std::string_view prefix;
  Kind kind;
};
constexpr std::array<ContainerScope, 5> kContainerScopes{{
    {"libpod-", Kind::podman},             // /libpod_parent/libpod-<id>, /machine.slice/libpod-<id>.scope
    {"docker-", Kind::docker},             // /system.slice/docker-<id>.scope
    {"cri-containerd-", Kind::containerd},  // .../cri-containerd-<id>.scope
    {"nerdctl-", Kind::containerd},        // /system.slice/nerdctl-<id>.scope
    {"crio-", Kind::crio},                 // .../crio-<id>.scope
}};

struct Container {
  Kind kind = Kind::none;  // none: an id whose runtime the path does not say (kubepods, cgroupfs)
  std::string_view id;
};

Container container_in(std::string_view component) {
  for (const ContainerScope& scope : kContainerScopes) {
    if (!component.starts_with(scope.prefix)) continue;
    std::string_view rest = component.substr(scope.prefix.size());
    if (rest.ends_with(".scope")) rest.remove_suffix(6);
    if (is_container_id(rest)) return {scope.kind, rest};
  }
  return {};
}

bool names_kubepods(std::string_view component) { return component.find("kubepods") != std::string_view::npos; }

// The pod UID of a kubepods component: "kubepods-burstable-pod<uid_>.slice" (systemd driver; kind's
// kubelet writes "kubelet-kubepods-...") or, below a "kubepods" component, "pod<uid>" (cgroupfs
// driver). Empty when it is no pod.
std::string_view pod_uid_in(std::string_view component, bool below_kubepods) {
  if (names_kubepods(component) && component.ends_with(".slice")) {
    const size_t at = component.rfind("-pod");
    if (at == std::string_view::npos) return {};
    const std::string_view uid = component.substr(at + 4, component.size() - at - 4 - 6);
    return is_pod_uid(uid) ? uid : std::string_view{};
  }
  if (below_kubepods && component.starts_with("pod") && is_pod_uid(component.substr(3))) return component.substr(3);
  return {};
}

bool is_user_slice(std::string_view component) {
  return component == "user.slice" || component.starts_with("user@") ||
         (component.starts_with("user-") && component.ends_with(".slice"));
}

WorkloadIdentity identify_path(std::string_view path) {
  if (path.ends_with(" (deleted)")) path.remove_suffix(10);  // a v2 cgroup that has been removed
  bool below_kubepods = false, below_user_slice = false;
  std::string_view parent, pod, unit;
  Container container;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (component.empty() || component == "..") continue;

    if (const std::string_view uid = pod_uid_in(component, below_kubepods); !uid.empty()) {
      pod = uid;
      container = {};  // a pod's container is below its pod
    } else if (const Container c = container_in(component); !c.id.empty()) {
      container = c;
    } else if (is_container_id(component) && (!pod.empty() || parent == "docker")) {
      container = {pod.empty() ? Kind::docker : Kind::none, component};  // /docker/<id>, kubepods/pod<uid>/<id>
    } else if (is_user_slice(component)) {
      below_user_slice = true;
    } else if (component.ends_with(".service") && component.size() > 8 && !below_user_slice) {
      unit = component;
    }
    if (names_kubepods(component)) below_kubepods = true;
    parent = component;
  }

  WorkloadIdentity identity;
  if (!pod.empty()) {
    identity.kind = Kind::kubernetes_pod;
    identity.pod_uid = std::string(pod);
    std::replace(identity.pod_uid.begin(), identity.pod_uid.end(), '_', '-');
    identity.container_id = std::string(container.id);
  } else if (!container.id.empty() && container.kind != Kind::none) {
    identity.kind = container.kind;
    identity.container_id = std::string(container.id);
  } else if (!unit.empty()) {
    identity.kind = Kind::systemd_unit;
    identity.unit = std::string(unit);
  }
  return identity;
}

struct CgroupLine {
  std::string_view controllers;
  std::string_view path;
  int rank = 2;  // 0: the v2 line, 1: name=systemd, 2: any other
};

std::vector<CgroupLine> cgroup_lines(std::string_view text) {
  std::vector<CgroupLine> lines;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    const size_t first = line.find(':');
    const size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    CgroupLine parsed{line.substr(first + 1, second - first - 1), line.substr(second + 1)};
    if (line.substr(0, first) == "0" && parsed.controllers.empty()) {
      parsed.rank = 0;
    } else {
      for (std::string_view rest = parsed.controllers; !rest.empty();) {
        const size_t comma = rest.find(',');
        if (rest.substr(0, comma) == "name=systemd") parsed.rank = 1;
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    }
    lines.push_back(parsed);
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const CgroupLine& a, const CgroupLine& b) { return a.rank < b.rank; });
  return lines;
}

}  // namespace

bool is_container_id(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), is_hex);
}

WorkloadIdentity identify_cgroup(std::string_view proc_cgroup_text) {
  WorkloadIdentity service;
  for (const CgroupLine& line : cgroup_lines(proc_cgroup_text)) {
    WorkloadIdentity identity = identify_path(line.path);
    if (identity.kind == Kind::systemd_unit) {
      if (service.kind == Kind::none) service = std::move(identity);
    } else if (identity.kind != Kind::none) {
      return identity;
    }
  }
  return service;
}

}  // namespace tcpsight
