#include "cli/serve_namespaces.hpp"

#include <utility>
#include <vector>

#include "cli/signals.hpp"

namespace tcpsight {

NamespaceGatherer::NamespaceGatherer(const NamespaceChoice& choice, const NamespaceServeOptions& options)
    : all_(choice.all),
      caps_(options.caps),
      tracer_(TracerOptions{.netns = choice.one ? choice.one->inode : 0, .stream_kinds = 0,
                            .track_sockets = options.track_sockets, .netns_slots = kNamespaceCounterSlots}),
      watcher_(choice.one, monotonic_seconds, options.snapshot_share,
               [this](const NamespaceSighting& s, std::span<const ts_sock_record> records) {
                 NamespaceFigures& f = reduced_[s.id.inode];
                 if (s.limits) f.limits = *s.limits;  // the port range decides which sockets are client-side
                 reduce_snapshot(f, records);
               }),
      series_(options.max_namespaces) {}

ScrapeInput NamespaceGatherer::gather() {
  const double now = monotonic_seconds();
  const std::vector<NamespaceSighting> seen = watcher_.refresh();
  for (const NamespaceSighting& s : seen)
    if (s.limits) reduced_[s.id.inode].limits = *s.limits;
  std::vector<std::pair<uint32_t, ts_netns_counters>> counters;
  for (const NetnsCounters& n : tracer_.read_netns_counters()) counters.emplace_back(n.inode, n.counters);
  for (uint32_t inode : table_.refresh(seen, counters, now)) {
    tracer_.forget_netns(inode);  // the kernel may give its inode to a new namespace
    reduced_.erase(inode);
  }

  std::vector<ShownNamespace> shown;
  shown.reserve(table_.namespaces().size());
  for (const auto& [inode, view] : table_.namespaces()) {
    NamespaceFigures f = reduced_[inode];
    f.counters = view.figures.totals();
    f.kernel = view.kernel;
    f.snapshot_age_seconds = view.figures.snapshot_age();
    shown.push_back({inode, view.id.name, view.id.host, std::move(f)});
  }
  ScrapeInput in;
  in.counters = tracer_.read_counters();  // host-wide: events lost, histograms, counter overflow
  in.namespaces = series_.place(shown, caps_);
  const NamespaceWatchCounts& w = watcher_.counts();
  in.namespace_counts = NamespaceCounts{.seen = all_ ? w.seen : shown.size(), .shown = series_.shown(),
                                        .in_other = series_.in_other(), .entered = w.entered, .failed = w.failed};
  return in;
}

}  // namespace tcpsight
