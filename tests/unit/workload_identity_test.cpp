// Which workload a /proc/PID/cgroup names, on the texts each runtime writes (cgroup v1 hybrid as
// Debian 12's rootful podman writes it, and pure v2 with the systemd and cgroupfs drivers).
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "core/workload_identity.hpp"

namespace tcpsight {
namespace {

using Kind = WorkloadIdentity::Kind;

const std::string kId = "bbed4566a7fdfebf35a83859ad6b961fc0fb5db2cc20fdc5bd978bd18b5a3120";
const std::string kOtherId = "ce19178ca3a4f57a0c6e1f2d3b4a5968778695a4b3c2d1e0f9e8d7c6b5a49382";
const std::string kPodUid = "0f3e1b2c-4d5a-4e6f-8a9b-0c1d2e3f4a5b";
const std::string kPodSlice = "kubepods-burstable-pod0f3e1b2c_4d5a_4e6f_8a9b_0c1d2e3f4a5b.slice";

// Every hierarchy of a hybrid host holding the same path: what podman with cgroupfs writes here.
std::string hybrid(const std::string& path) {
  std::string text;
  for (const char* line : {"9:name=systemd:", "8:pids:", "7:blkio:", "6:freezer:", "5:devices:", "4:memory:",
                           "3:cpuset:", "2:cpuacct:", "1:cpu:", "0::"})
    text += line + path + "\n";
  return text;
}

TEST(WorkloadIdentity, PodmanOnHybridCgroupsAsThisHostWritesIt) {
  const WorkloadIdentity w = identify_cgroup(hybrid("/libpod_parent/libpod-" + kId));
  EXPECT_EQ(w.kind, Kind::podman);
  EXPECT_EQ(w.container_id, kId);
  EXPECT_TRUE(w.pod_uid.empty());
  EXPECT_TRUE(w.unit.empty());
}

TEST(WorkloadIdentity, PodmanWithTheSystemdDriverRootfulAndRootless) {
  WorkloadIdentity w = identify_cgroup("0::/machine.slice/libpod-" + kId + ".scope/container\n");
  EXPECT_EQ(w.kind, Kind::podman);
  EXPECT_EQ(w.container_id, kId);
  w = identify_cgroup("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope\n");
  EXPECT_EQ(w.kind, Kind::podman);
  EXPECT_EQ(w.container_id, kId);
}

TEST(WorkloadIdentity, ConmonIsNoContainer) {
  EXPECT_EQ(identify_cgroup("0::/machine.slice/libpod-conmon-" + kId + ".scope\n").kind, Kind::none);
  // conmon on this host: its own cpu cgroup, the root elsewhere.
  EXPECT_EQ(identify_cgroup("9:name=systemd:/\n4:memory:/\n1:cpu:/libpod_parent/conmon\n0::/\n").kind, Kind::none);
  EXPECT_EQ(identify_cgroup("0::/system.slice/crio-conmon-" + kId + ".scope\n").kind, Kind::none);
}

TEST(WorkloadIdentity, DockerWithCgroupfsAndWithSystemd) {
  WorkloadIdentity w = identify_cgroup(hybrid("/docker/" + kId));
  EXPECT_EQ(w.kind, Kind::docker);
  EXPECT_EQ(w.container_id, kId);
  w = identify_cgroup("0::/system.slice/docker-" + kId + ".scope\n");
  EXPECT_EQ(w.kind, Kind::docker);
  EXPECT_EQ(w.container_id, kId);
}

TEST(WorkloadIdentity, ContainerdAndCrio) {
  WorkloadIdentity w = identify_cgroup("0::/system.slice/cri-containerd-" + kId + ".scope\n");
  EXPECT_EQ(w.kind, Kind::containerd);
  EXPECT_EQ(w.container_id, kId);
  EXPECT_EQ(identify_cgroup("0::/system.slice/nerdctl-" + kId + ".scope\n").kind, Kind::containerd);
  w = identify_cgroup("0::/machine.slice/crio-" + kId + ".scope/container\n");
  EXPECT_EQ(w.kind, Kind::crio);
  EXPECT_EQ(w.container_id, kId);
}

TEST(WorkloadIdentity, KubernetesPodWithTheSystemdDriver) {
  const WorkloadIdentity w = identify_cgroup("0::/kubepods.slice/kubepods-burstable.slice/" + kPodSlice +
                                             "/cri-containerd-" + kId + ".scope\n");
  EXPECT_EQ(w.kind, Kind::kubernetes_pod);
  EXPECT_EQ(w.pod_uid, kPodUid);
  EXPECT_EQ(w.container_id, kId);

  const WorkloadIdentity guaranteed = identify_cgroup(
      "0::/kubepods.slice/kubepods-pod0f3e1b2c_4d5a_4e6f_8a9b_0c1d2e3f4a5b.slice/crio-" + kId + ".scope\n");
  EXPECT_EQ(guaranteed.kind, Kind::kubernetes_pod);
  EXPECT_EQ(guaranteed.pod_uid, kPodUid);
  EXPECT_EQ(guaranteed.container_id, kId);
}

TEST(WorkloadIdentity, KubernetesPodWithTheCgroupfsDriverOnHybridCgroups) {
  const WorkloadIdentity w = identify_cgroup("12:pids:/kubepods/burstable/pod" + kPodUid + "/" + kId +
                                             "\n4:memory:/kubepods/burstable/pod" + kPodUid + "/" + kId +
                                             "\n1:name=systemd:/kubepods/burstable/pod" + kPodUid + "/" + kId +
                                             "\n0::/\n");
  EXPECT_EQ(w.kind, Kind::kubernetes_pod);
  EXPECT_EQ(w.pod_uid, kPodUid);
  EXPECT_EQ(w.container_id, kId);
  // A static pod's UID is a hash without dashes; besteffort pods sit in their own level.
  const WorkloadIdentity s = identify_cgroup("0::/kubepods/besteffort/pod6a5c3c9f4d9c0d1e6cd3a8b6a3b8e0f1/" + kId);
  EXPECT_EQ(s.pod_uid, "6a5c3c9f4d9c0d1e6cd3a8b6a3b8e0f1");
  EXPECT_EQ(s.container_id, kId);
}

TEST(WorkloadIdentity, PodInsideANodeContainerIsThePod) {
  // kind: the node is a docker container; its kubelet's slices are "kubelet-kubepods-...".
  const WorkloadIdentity w = identify_cgroup(
      "0::/system.slice/docker-" + kOtherId +
      ".scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
      "kubelet-kubepods-besteffort-pod0f3e1b2c_4d5a_4e6f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-" +
      kId + ".scope\n");
  EXPECT_EQ(w.kind, Kind::kubernetes_pod);
  EXPECT_EQ(w.pod_uid, kPodUid);
  EXPECT_EQ(w.container_id, kId);
}

TEST(WorkloadIdentity, PodWithoutItsContainerStillNamesThePod) {
  const WorkloadIdentity w =
      identify_cgroup("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f3e1b2c_4d5a_4e6f_8a9b_"
                      "0c1d2e3f4a5b.slice/crio-conmon-" + kId + ".scope\n");
  EXPECT_EQ(w.kind, Kind::kubernetes_pod);
  EXPECT_EQ(w.pod_uid, kPodUid);
  EXPECT_TRUE(w.container_id.empty());
}

TEST(WorkloadIdentity, SystemdServices) {
  WorkloadIdentity w = identify_cgroup("0::/system.slice/nginx.service\n");
  EXPECT_EQ(w.kind, Kind::systemd_unit);
  EXPECT_EQ(w.unit, "nginx.service");
  EXPECT_TRUE(w.container_id.empty());
  w = identify_cgroup(hybrid("/system.slice/system-getty.slice/getty@tty1.service"));
  EXPECT_EQ(w.unit, "getty@tty1.service");
  // The v2 line is asked before name=systemd.
  w = identify_cgroup("1:name=systemd:/system.slice/b.service\n0::/system.slice/a.service\n");
  EXPECT_EQ(w.unit, "a.service");
  // Without v2, name=systemd is asked before the other hierarchies.
  w = identify_cgroup("4:memory:/system.slice/b.service\n1:name=systemd:/system.slice/a.service\n");
  EXPECT_EQ(w.unit, "a.service");
}

TEST(WorkloadIdentity, AContainerOnAnyLineBeatsAServiceOnTheFirst) {
  // Hybrid host, docker with cgroupfs: the unified hierarchy only shows the daemon's service.
  const WorkloadIdentity w =
      identify_cgroup("4:memory:/docker/" + kId + "\n1:name=systemd:/docker/" + kId +
                      "\n0::/system.slice/containerd.service\n");
  EXPECT_EQ(w.kind, Kind::docker);
  EXPECT_EQ(w.container_id, kId);
}

TEST(WorkloadIdentity, RootUserAndSessionCgroupsAreNone) {
  EXPECT_EQ(identify_cgroup("0::/\n").kind, Kind::none);
  EXPECT_EQ(identify_cgroup("0::/init.scope\n").kind, Kind::none);
  EXPECT_EQ(identify_cgroup(hybrid("/")).kind, Kind::none);
  EXPECT_EQ(identify_cgroup("0::/user.slice/user-0.slice/user@0.service/init.scope\n").kind, Kind::none);
  EXPECT_EQ(identify_cgroup("0::/user.slice/user-0.slice/user@0.service\n").kind, Kind::none);
  EXPECT_EQ(identify_cgroup("0::/user.slice/user-0.slice/session-3.scope\n").kind, Kind::none);
  EXPECT_EQ(identify_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n").kind,
            Kind::none);
  EXPECT_EQ(identify_cgroup("").kind, Kind::none);
}

TEST(WorkloadIdentity, MalformedTextAndIdsAreNone) {
  EXPECT_EQ(identify_cgroup("garbage\n::\n0:\n").kind, Kind::none);
  EXPECT_EQ(identify_cgroup("0::/libpod_parent/libpod-abc123\n").kind, Kind::none);  // too short
  std::string upper = kId;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(identify_cgroup("0::/system.slice/docker-" + upper + ".scope\n").kind, Kind::none);
  EXPECT_EQ(identify_cgroup("0::/system.slice/.service\n").kind, Kind::none);
  EXPECT_EQ(identify_cgroup("0::/some/" + kId + "\n").kind, Kind::none);  // an id, but whose?
  EXPECT_EQ(identify_cgroup("0::/kubepods.slice/kubepods-podNOT-A-UID.slice\n").kind, Kind::none);
}

TEST(WorkloadIdentity, RemovedCgroupsAndCarriageReturns) {
  EXPECT_EQ(identify_cgroup("0::/system.slice/docker-" + kId + ".scope (deleted)\n").container_id, kId);
  EXPECT_EQ(identify_cgroup("0::/system.slice/nginx.service\r\n").unit, "nginx.service");
}

TEST(WorkloadIdentity, ContainerIds) {
  EXPECT_TRUE(is_container_id(kId));
  EXPECT_FALSE(is_container_id(kId.substr(1)));
  EXPECT_FALSE(is_container_id(kId + "0"));
  EXPECT_FALSE(is_container_id(std::string(63, 'a') + "g"));
}

}  // namespace
}  // namespace tcpsight
