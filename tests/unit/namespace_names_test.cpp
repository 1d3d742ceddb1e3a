// The names of network namespaces: safe display text, and the namer on a fake root holding the
// files the runtimes and the kubelet write (what they hold on this host, or their documented shape).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "core/display_name.hpp"
#include "kernel/namespace_names.hpp"

namespace tcpsight {
namespace {

namespace fs = std::filesystem;

const std::string kId = "bbed4566a7fdfebf35a83859ad6b961fc0fb5db2cc20fdc5bd978bd18b5a3120";
const std::string kPodUid = "0f3e1b2c-4d5a-4e6f-8a9b-0c1d2e3f4a5b";
const std::string kPodSlice = "kubepods-burstable-pod0f3e1b2c_4d5a_4e6f_8a9b_0c1d2e3f4a5b.slice";

bool printable(const std::string& s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

TEST(NamespaceNameDisplay, KeepsPrintableTextAndUtf8) {
  EXPECT_EQ(safe_display_name("tsprobe"), "tsprobe");
  EXPECT_EQ(safe_display_name("café-東京-🚀"), "café-東京-🚀");
  EXPECT_EQ(safe_display_name("default/web-0"), "default/web-0");
  EXPECT_EQ(safe_display_name(R"(a"b'c\d)"), R"(a"b'c\d)");  // the label and JSON writers escape these
  EXPECT_EQ(safe_display_name(""), "");
}

TEST(NamespaceNameDisplay, EscapesControlCharacters) {
  EXPECT_EQ(safe_display_name("evil\n\x1b[31mred\x1b[0m"), R"(evil\x0a\x1b[31mred\x1b[0m)");
  EXPECT_EQ(safe_display_name(std::string("a\0b\r\t\x7f", 6)), R"(a\x00b\x0d\x09\x7f)");
  EXPECT_EQ(safe_display_name("\xc2\x85" "next\xc2\x9b" "2J"), R"(\xc2\x85next\xc2\x9b2J)");  // C1: NEL, CSI
  EXPECT_EQ(safe_display_name("abc\xe2\x80\xae" "gpj.exe"), R"(abc\xe2\x80\xaegpj.exe)");  // right-to-left override
  EXPECT_EQ(safe_display_name("line\xe2\x80\xa8" "two"), R"(line\xe2\x80\xa8two)");
}

TEST(NamespaceNameDisplay, EscapesInvalidUtf8) {
  EXPECT_EQ(safe_display_name("\xff"), R"(\xff)");
  EXPECT_EQ(safe_display_name("\xc0\xaf"), R"(\xc0\xaf)");              // overlong '/'
  EXPECT_EQ(safe_display_name("\xed\xa0\x80"), R"(\xed\xa0\x80)");      // a surrogate
  EXPECT_EQ(safe_display_name("\xf4\x90\x80\x80"), R"(\xf4\x90\x80\x80)");  // beyond U+10FFFF
  EXPECT_EQ(safe_display_name("ab\xe6\x9d"), R"(ab\xe6\x9d)");          // cut short
  EXPECT_EQ(safe_display_name("\x80x"), R"(\x80x)");                    // a stray continuation byte
}

TEST(NamespaceNameDisplay, TruncatesAtACharacterBoundary) {
  EXPECT_EQ(safe_display_name(std::string(10'000, 'a')), std::string(96, 'a'));
  EXPECT_EQ(safe_display_name(std::string(95, 'a') + "東京"), std::string(95, 'a'));
  EXPECT_EQ(safe_display_name(std::string(93, 'a') + "東京"), std::string(93, 'a') + "東");
  EXPECT_EQ(safe_display_name("abcdef", 3), "abc");
  EXPECT_EQ(safe_display_name("abc", 0), "");
  EXPECT_EQ(safe_display_name("ab\x1b", 5), "ab");  // an escape is not cut either
  EXPECT_EQ(safe_display_name("ab\x1b", 6), R"(ab\x1b)");
}

TEST(NamespaceNameDisplay, AnyBytesComeOutBoundedPrintableAndStable) {
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    std::string raw(random() % 300, '\0');
    for (char& c : raw) c = static_cast<char>(random());
    const std::string safe = safe_display_name(raw);
    ASSERT_LE(safe.size(), 96u);
    ASSERT_TRUE(printable(safe));
    ASSERT_EQ(safe_display_name(safe), safe);  // valid UTF-8 without anything to escape
  }
}

fs::path make_temp_root() {
  std::string pattern = (fs::temp_directory_path() / "tcpsight-names-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

// A fake root: proc/PID/cgroup and the runtimes' files under a temp dir, and a namer reading it.
class NamespaceNameFakeRoot : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(root_.empty()); }
  void TearDown() override { fs::remove_all(root_); }

  void write(const std::string& relative, const std::string& text) {
    const fs::path file = root_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  }
  // Hybrid: the same path on name=systemd, a v1 controller and the v2 line, as podman writes here.
  void cgroup(pid_t pid, const std::string& path) {
    write("proc/" + std::to_string(pid) + "/cgroup",
          "9:name=systemd:" + path + "\n4:memory:" + path + "\n0::" + path + "\n");
  }
  fs::path containers_json_path() const {
    return root_ / "var/lib/containers/storage/overlay-containers/containers.json";
  }
  void containers_json(const std::string& text) {
    write("var/lib/containers/storage/overlay-containers/containers.json", text);
  }
  void set_containers_json_mtime(fs::file_time_type when) { fs::last_write_time(containers_json_path(), when); }
  fs::file_time_type containers_json_mtime() const { return fs::last_write_time(containers_json_path()); }
  NamespaceName name(pid_t pid, const std::string& run_netns = "", uint32_t inode = 4026532182u) {
    return namer_.name_for(pid, run_netns, inode, false);
  }

  fs::path root_ = make_temp_root();
  NamespaceNamer namer_{root_.string()};
};

std::string podman_json(const std::string& id, const std::string& name) {
  return R"([{"id":")" + id + R"(","names":[")" + name +
         R"("],"image":"","layer":"8c0b38bf4f8b219274f8a9f4cab350e11a954931ab914e08778d6140ea082308",)"
         R"("metadata":"{\"image-name\":\"\",\"name\":\")" + name + R"(\"}","created":"2026-12-01T11:44:49.52625797Z",)"
         R"("flags":{"MountLabel":"","ProcessLabel":""}}])";
}

TEST_F(NamespaceNameFakeRoot, HostComesFirst) {
  cgroup(1, "/libpod_parent/libpod-" + kId);
  const NamespaceName n = namer_.name_for(1, "blue", 4026531840u, true);
  EXPECT_EQ(n.name, "host");
  EXPECT_EQ(n.kind, "host");
  EXPECT_TRUE(n.container_id.empty());
}

TEST_F(NamespaceNameFakeRoot, PodmanNameFromContainersJson) {
  cgroup(1096, "/libpod_parent/libpod-" + kId);
  containers_json(podman_json(kId, "tsprobe"));
  const NamespaceName n = name(1096, "netns-8f1c");  // podman's own /run/netns name loses to the container
  EXPECT_EQ(n.name, "tsprobe");
  EXPECT_EQ(n.kind, "podman");
  EXPECT_EQ(n.container_id, kId);
}

TEST_F(NamespaceNameFakeRoot, PodmanFallsBackToTheShortIdWhenStorageSaysNothing) {
  cgroup(1096, "/libpod_parent/libpod-" + kId);
  EXPECT_EQ(name(1096).name, "bbed4566a7fd");  // no containers.json
  const std::string no_name = R"([{"id":")" + kId + R"(","names":[]}])";
  const std::string number_name = R"([{"id":")" + kId + R"(","names":[7]}])";
  for (const std::string& broken : {std::string(""), std::string(R"([{"id": "bbed)"), std::string("{}"),
                                    std::string(R"([1, null, {"id": 5, "names": ["x"]}])"), no_name, number_name}) {
    containers_json(broken);
    set_containers_json_mtime(containers_json_mtime() + std::chrono::seconds(1));
    const NamespaceName n = name(1096);
    EXPECT_EQ(n.name, "bbed4566a7fd") << broken;
    EXPECT_EQ(n.kind, "podman");
    EXPECT_EQ(n.container_id, kId);
  }
  containers_json(podman_json(std::string(64, 'a'), "someone-else"));
  set_containers_json_mtime(containers_json_mtime() + std::chrono::seconds(1));
  EXPECT_EQ(name(1096).name, "bbed4566a7fd");
}

TEST_F(NamespaceNameFakeRoot, ContainersJsonIsReadAgainOnlyWhenItChanges) {
  cgroup(1096, "/libpod_parent/libpod-" + kId);
  containers_json(podman_json(kId, "alpha"));
  EXPECT_EQ(name(1096).name, "alpha");
  // Same size, same mtime: the cached names stand.
  const fs::file_time_type mtime = containers_json_mtime();
  containers_json(podman_json(kId, "bravo"));
  set_containers_json_mtime(mtime);
  EXPECT_EQ(name(1096).name, "alpha");
  // A new mtime: read again.
  set_containers_json_mtime(mtime + std::chrono::seconds(2));
  EXPECT_EQ(name(1096).name, "bravo");
  // Removed: the names go with it.
  fs::remove(containers_json_path());
  EXPECT_EQ(name(1096).name, "bbed4566a7fd");
}

TEST_F(NamespaceNameFakeRoot, DockerNameFromConfigV2) {
  cgroup(200, "/system.slice/docker-" + kId + ".scope");
  EXPECT_EQ(name(200).name, "bbed4566a7fd");  // not there yet
  write("var/lib/docker/containers/" + kId + "/config.v2.json",
        R"({"ID":")" + kId + R"(","Name":"/web","State":{"Running":true,"Pid":200}})");
  NamespaceName n = name(200);
  EXPECT_EQ(n.name, "web");
  EXPECT_EQ(n.kind, "docker");
  EXPECT_EQ(n.container_id, kId);
  fs::remove(root_ / ("var/lib/docker/containers/" + kId + "/config.v2.json"));
  EXPECT_EQ(name(200).name, "web");  // cached by container id
}

TEST_F(NamespaceNameFakeRoot, DockerFallsBackToTheShortIdOnMalformedConfig) {
  cgroup(200, "/docker/" + kId);
  for (const char* broken : {"{\"Name\":", "[]", "{\"Name\": 3}", "{\"Name\": \"/\"}", "{}"}) {
    write("var/lib/docker/containers/" + kId + "/config.v2.json", broken);
    const NamespaceName n = name(200);
    EXPECT_EQ(n.name, "bbed4566a7fd") << broken;
    EXPECT_EQ(n.kind, "docker");
  }
}

TEST_F(NamespaceNameFakeRoot, KubernetesPodNameFromTheKubeletsEtcHosts) {
  cgroup(300, "/kubepods.slice/kubepods-burstable.slice/" + kPodSlice + "/cri-containerd-" + kId + ".scope");
  EXPECT_EQ(name(300).name, "pod-" + kPodUid);  // no etc-hosts (yet)
  write("var/lib/kubelet/pods/" + kPodUid + "/etc-hosts",
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
        "10.244.1.7\tnginx-7c5ddbdf54-x2v8k\n\n# Entries added by HostAliases.\n10.0.0.9\tdb.internal\n");
  const NamespaceName n = name(300);
  EXPECT_EQ(n.name, "nginx-7c5ddbdf54-x2v8k");
  EXPECT_EQ(n.kind, "kubernetes");
  EXPECT_EQ(n.container_id, kId);
}

TEST_F(NamespaceNameFakeRoot, KubernetesPodWithASubdomainAndOnlyHostAliases) {
  cgroup(301, "/kubepods/besteffort/pod" + kPodUid + "/" + kId);
  write("var/lib/kubelet/pods/" + kPodUid + "/etc-hosts",
        "127.0.0.1\tlocalhost\n10.244.1.8\tweb-0.nginx.default.svc.cluster.local\tweb-0\n");
  EXPECT_EQ(name(301).name, "web-0");

  const std::string other = "11111111-2222-3333-4444-555555555555";
  cgroup(302, "/kubepods/besteffort/pod" + other + "/" + kId);
  write("var/lib/kubelet/pods/" + other + "/etc-hosts",
        "127.0.0.1\tlocalhost\n::1\tlocalhost\n# Entries added by HostAliases.\n10.0.0.9\tdb.internal\n");
  EXPECT_EQ(name(302).name, "pod-" + other);
}

TEST_F(NamespaceNameFakeRoot, CrioNamesTheNamespaceAndPod) {
  cgroup(400, "/system.slice/crio-" + kId + ".scope");
  containers_json(podman_json(kId, "k8s_nginx_web-7f9d_shop_" + kPodUid + "_0"));
  NamespaceName n = name(400);
  EXPECT_EQ(n.name, "shop/web-7f9d");
  EXPECT_EQ(n.kind, "cri-o");
  EXPECT_EQ(n.container_id, kId);
  // A pod of CRI-O whose etc-hosts is not there: the pod's name from storage.
  cgroup(401, "/kubepods.slice/kubepods-burstable.slice/" + kPodSlice + "/crio-" + kId + ".scope");
  n = name(401);
  EXPECT_EQ(n.name, "shop/web-7f9d");
  EXPECT_EQ(n.kind, "kubernetes");
  // Not a Kubernetes name: as it is.
  containers_json(podman_json(kId, "plain"));
  set_containers_json_mtime(containers_json_mtime() + std::chrono::seconds(1));
  EXPECT_EQ(name(400).name, "plain");
}

TEST_F(NamespaceNameFakeRoot, ContainerdSystemdAndTheRest) {
  cgroup(500, "/system.slice/cri-containerd-" + kId + ".scope");
  NamespaceName n = name(500);
  EXPECT_EQ(n.name, "bbed4566a7fd");
  EXPECT_EQ(n.kind, "containerd");
  EXPECT_EQ(n.container_id, kId);

  cgroup(600, "/system.slice/nginx.service");
  n = name(600);
  EXPECT_EQ(n.name, "nginx.service");
  EXPECT_EQ(n.kind, "systemd");
  EXPECT_TRUE(n.container_id.empty());
  // `ip netns exec blue ...` run from a service: the namespace's own name says more.
  n = name(600, "blue");
  EXPECT_EQ(n.name, "blue");
  EXPECT_EQ(n.kind, "netns");

  cgroup(700, "/user.slice/user-0.slice/session-3.scope");
  n = name(700, "blue");
  EXPECT_EQ(n.name, "blue");
  EXPECT_EQ(n.kind, "netns");

  n = name(0, "", 4026532182u);
  EXPECT_EQ(n.name, "netns-4026532182");
  EXPECT_EQ(n.kind, "inode");
  EXPECT_EQ(name(99999, "", 7).name, "netns-7");  // a process that has gone
}

TEST_F(NamespaceNameFakeRoot, HostileNamesComeOutSafe) {
  const std::string hostile = "evil\n\x1b[2J\x1b]0;owned\x07\"quoted\"\xff" + std::string(10'000, 'x');
  cgroup(1096, "/libpod_parent/libpod-" + kId);
  containers_json(R"([{"id":")" + kId + R"(","names":["evil\n\u001b[2J\u001b]0;owned\u0007\"quoted\")" +
                  std::string(10'000, 'x') + R"("]}])");
  NamespaceName n = name(1096);
  EXPECT_TRUE(n.name.starts_with(R"(evil\x0a\x1b[2J\x1b]0;owned\x07"quoted"xxx)")) << n.name;
  EXPECT_LE(n.name.size(), 96u);
  EXPECT_TRUE(printable(n.name));

  n = name(0, hostile);
  EXPECT_EQ(n.kind, "netns");
  EXPECT_LE(n.name.size(), 96u);
  EXPECT_TRUE(printable(n.name));
  EXPECT_TRUE(n.name.starts_with(R"(evil\x0a\x1b[2J\x1b]0;owned\x07"quoted"\xffxx)")) << n.name;

  cgroup(200, "/docker/" + kId);
  write("var/lib/docker/containers/" + kId + "/config.v2.json", R"({"Name":"/a\r\nb\u202ec"})");
  EXPECT_EQ(name(200).name, R"(a\x0d\x0ab\xe2\x80\xaec)");
}

TEST_F(NamespaceNameFakeRoot, ARootWithoutItsSlashIsTheSameRoot) {
  cgroup(1096, "/libpod_parent/libpod-" + kId);
  containers_json(podman_json(kId, "tsprobe"));
  NamespaceNamer namer(root_.string());  // mkdtemp's path has no trailing '/'
  EXPECT_EQ(namer.name_for(1096, "", 1, false).name, "tsprobe");
  NamespaceNamer with_slash(root_.string() + "/");
  EXPECT_EQ(with_slash.name_for(1096, "", 1, false).name, "tsprobe");
}

}  // namespace
}  // namespace tcpsight
