// owner_scan: runs tcpsight's owner scan (iter/task_file, user/kernel/socket_owners) and prints
// what it found, for the integration tests and for measuring its cost.
//
// usage: owner_scan [--repeat N] [--quiet] [--all-netns]
//
// Scans N times (default 1) the TCP sockets of this network namespace (every namespace with
// --all-netns) and prints, for the last scan, one line per record:
//   owner cookie=<cookie> pid=<tgid> tid=<tid> fd=<fd> netns=<inode> comm=<comm>
// (not with --quiet), then one summary line:
//   scan records=<n> sockets=<distinct cookies> files=<files visited> duplicate_threads=<n>
//        without_cookie=<n> ms_min=<fastest> ms_median=<median> ms_max=<slowest>
// Needs root (or CAP_BPF and CAP_PERFMON). Exit 1 with a reason when the scan cannot run.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "kernel/libbpf_log.hpp"
#include "kernel/netns.hpp"
#include "kernel/socket_owners.hpp"

namespace {

double now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  long repeat = 1;
  bool quiet = false, all_netns = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--quiet") quiet = true;
    else if (flag == "--all-netns") all_netns = true;
    else if (flag == "--repeat" && i + 1 < argc) repeat = std::max(1L, std::strtol(argv[++i], nullptr, 10));
    else {
      std::fprintf(stderr, "owner_scan: unknown option %s\nusage: owner_scan [--repeat N] [--quiet] [--all-netns]\n",
                   flag.c_str());
      return 2;
    }
  }
  try {
    tcpsight::install_libbpf_log(false);
    tcpsight::SocketOwners scanner(all_netns ? 0 : tcpsight::current_netns_inode());
    std::vector<ts_owner_record> records;
    std::vector<double> ms;
    for (long i = 0; i < repeat; ++i) {
      const double start = now_ms();
      scanner.take(records);
      ms.push_back(now_ms() - start);
    }
    std::set<uint64_t> cookies;
    for (const ts_owner_record& r : records) {
      cookies.insert(r.cookie);
      if (!quiet)
        std::printf("owner cookie=%llu pid=%u tid=%u fd=%u netns=%u comm=%.16s\n",
                    static_cast<unsigned long long>(r.cookie), r.tgid, r.tid, r.fd, r.netns, r.comm);
    }
    std::sort(ms.begin(), ms.end());
    const tcpsight::OwnerScanStats& s = scanner.last_stats();
    std::printf("scan records=%zu sockets=%zu files=%llu duplicate_threads=%llu without_cookie=%llu ms_min=%.3f "
                "ms_median=%.3f ms_max=%.3f\n",
                records.size(), cookies.size(), static_cast<unsigned long long>(s.files_seen),
                static_cast<unsigned long long>(s.duplicate_threads), static_cast<unsigned long long>(s.without_cookie),
                ms.front(), ms[ms.size() / 2], ms.back());
  } catch (const tcpsight::UserError& e) {
    std::fprintf(stderr, "owner_scan: %s\n", e.what());
    return 1;
  }
  return 0;
}
