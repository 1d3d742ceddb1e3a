// Labels bounded in number, for series keyed by an endpoint: of the series ranked largest first,
// the first `cap` are written one by one and the rest summed into one series labelled "other",
// with the number summed counted (a `*_series_dropped_total` counter). Listeners (--max-listeners)
// and destinations (--max-destinations) use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace tcpsight {

inline constexpr const char* kOtherSeriesLabel = "other";

template <class Entry>
struct BoundedSeries {
  std::vector<Entry> kept;
  std::optional<Entry> other;  // the series the cap left out, summed
  uint64_t dropped = 0;        // series summed into `other`

  // The series to write: kept, then other.
  std::vector<const Entry*> all() const {
    std::vector<const Entry*> out;
    out.reserve(kept.size() + 1);
    for (const Entry& e : kept) out.push_back(&e);
    if (other) out.push_back(&*other);
    return out;
  }
};

// Keeps the first `cap` of `ranked` (largest first, in their order); the others are summed by
// `sum_into(Entry& into, const Entry& from)` into `empty_other` (whose label says "other").
template <class Entry, class SumInto>
BoundedSeries<Entry> bound_series(std::vector<Entry> ranked, size_t cap, Entry empty_other, SumInto sum_into) {
  BoundedSeries<Entry> out;
  for (size_t i = cap; i < ranked.size(); ++i) {
    if (!out.other) out.other = empty_other;
    sum_into(*out.other, ranked[i]);
    ++out.dropped;
  }
  if (ranked.size() > cap) ranked.resize(cap);
  out.kept = std::move(ranked);
  return out;
}

}  // namespace tcpsight
