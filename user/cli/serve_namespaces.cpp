#include "cli/serve_namespaces.hpp"

#include <utility>
#include <vector>

#include "cli/signals.hpp"
#include "kernel/namespace_refresh.hpp"

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
  for (uint32_t inode : refresh_namespaces(table_, watcher_, &tracer_, now)) reduced_.erase(inode);

  std::vector<ShownNamespace> shown;
  shown.reserve(table_.namespaces().size());
  for (const auto& [inode, view] : table_.namespaces()) {
    NamespaceFigures f = reduced_[inode];
    f.counters = view.figures.totals();
    f.kernel = view.kernel;
    if (view.limits) f.limits = *view.limits;  // the latest, also between snapshots
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
