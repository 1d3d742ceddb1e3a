#include "serve/namespace_series.hpp"

#include <algorithm>
#include <array>

#include "core/counter_totals.hpp"

namespace tcpsight {

namespace {

void add_counters(ts_counters& into, const ts_counters& from) {
  const std::array<ts_counters, 2> both{into, from};
  into = sum_counters(both);
}

// Counters this kernel lacks are negative: left out, as if absent.
void add_kernel(KernelCounters& into, const KernelCounters& from) {
  for (const auto& [key, value] : from)
    if (value >= 0) into[key] += value;
}

}  // namespace

void NamespaceSeries::release_vanished(const std::set<uint32_t>& present) {
  std::erase_if(slots_, [&](uint32_t inode) { return !present.count(inode); });
  for (auto it = other_.begin(); it != other_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    add_counters(retired_.counters, it->second.counters);
    add_kernel(retired_.kernel, it->second.kernel);
    it = other_.erase(it);
  }
}

void NamespaceSeries::assign_new(const std::vector<ShownNamespace>& now) {
  std::vector<const ShownNamespace*> arrivals;
  for (const ShownNamespace& ns : now)
    if (!slots_.count(ns.inode) && !other_.count(ns.inode)) arrivals.push_back(&ns);
  // Among namespaces first seen together: the host first, then by inode (the order they were made).
  std::sort(arrivals.begin(), arrivals.end(), [](const ShownNamespace* a, const ShownNamespace* b) {
    return a->host != b->host ? a->host : a->inode < b->inode;
  });
  for (const ShownNamespace* ns : arrivals) {
    if (slots_.size() < max_) {
      slots_.insert(ns->inode);
    } else {
      other_[ns->inode] = {};
      other_started_ = true;
    }
  }
}

NamespaceFigures NamespaceSeries::other_figures(const std::vector<ShownNamespace>& now) {
  NamespaceFigures sum;
  sum.counters = retired_.counters;
  sum.kernel = retired_.kernel;
  for (const ShownNamespace& ns : now) {
    const auto member = other_.find(ns.inode);
    if (member == other_.end()) continue;
    member->second = {ns.figures.counters, ns.figures.kernel};
    add_counters(sum.counters, ns.figures.counters);
    add_kernel(sum.kernel, ns.figures.kernel);
    add_tally(sum.sockets, ns.figures.sockets);
    sum.snapshot_age_seconds = std::max(sum.snapshot_age_seconds, ns.figures.snapshot_age_seconds);
  }
  return sum;
}

std::vector<LabelledNamespace> NamespaceSeries::place(const std::vector<ShownNamespace>& now,
                                                      const SeriesCaps& caps) {
  std::set<uint32_t> present;
  for (const ShownNamespace& ns : now) present.insert(ns.inode);
  release_vanished(present);
  assign_new(now);

  std::vector<const ShownNamespace*> own;
  for (const ShownNamespace& ns : now)
    if (slots_.count(ns.inode)) own.push_back(&ns);
  std::sort(own.begin(), own.end(), [](const ShownNamespace* a, const ShownNamespace* b) { return a->inode < b->inode; });
  std::vector<LabelledNamespace> out;
  for (const ShownNamespace* ns : own)
    out.push_back({std::to_string(ns->inode), ns->name, scrape_namespace(ns->figures, caps)});
  if (other_started_)
    out.push_back({kOtherSeriesLabel, kOtherSeriesLabel, scrape_namespace(other_figures(now), caps)});
  return out;
}

}  // namespace tcpsight
