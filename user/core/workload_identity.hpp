// Which workload a process belongs to, read from the text of its /proc/PID/cgroup: the container
// (podman, docker, containerd, CRI-O), the Kubernetes pod, or the systemd service that holds it.
// Pure text: the caller reads the file (kernel/namespace_names names the namespace from this).
#pragma once

#include <string>
#include <string_view>

namespace tcpsight {

struct WorkloadIdentity {
  enum class Kind { none, systemd_unit, podman, docker, containerd, crio, kubernetes_pod };
  Kind kind = Kind::none;
  std::string container_id;  // 64 lowercase hex for a container (also inside a pod), else empty
  std::string pod_uid;       // kubernetes_pod: the pod UID with dashes (systemd slices write '_')
  std::string unit;          // systemd_unit: e.g. "nginx.service"; user@N.service, sessions: none
};

// The workload of the cgroup paths in `proc_cgroup_text` ("ID:CONTROLLERS:PATH" lines). The cgroup
// v2 line ("0::") is asked first, then the "name=systemd" line, then the other lines in order: the
// first that names a container or pod wins; else the first that names a systemd service. Within a
// path the innermost container counts (a pod's container under a kind or docker-in-docker node),
// and a pod slice anywhere makes it kubernetes_pod. conmon's cgroups (libpod-conmon-, crio-conmon-)
// are not containers. None for the root cgroup, init.scope, user and session slices, empty text.
WorkloadIdentity identify_cgroup(std::string_view proc_cgroup_text);

// True for a 64-character lowercase hex id, as runtimes name containers.
bool is_container_id(std::string_view text);

}  // namespace tcpsight
