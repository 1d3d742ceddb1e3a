#include "kernel/event_merge.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace tcpsight {

namespace {

bool older(const ts_event& a, const ts_event& b) { return a.ts_ns < b.ts_ns; }

// Sources that each hold a run in time order, [begin, end), merged into `out`: oldest first, ties
// in source order. A heap of the sources' heads; each source passes on the run of its records that
// come before the next source's head with one comparison per record.
void merge_by_heap(const std::vector<std::vector<ts_event>>& queues, const std::vector<size_t>& ends,
                   std::vector<ts_event>& out) {
  std::vector<std::pair<uint64_t, size_t>> heads;  // (time, source), oldest on top
  std::vector<size_t> taken(queues.size(), 0);
  for (size_t s = 0; s < queues.size(); ++s)
    if (ends[s]) heads.emplace_back(queues[s].front().ts_ns, s);
  const auto later = [](const auto& a, const auto& b) { return a > b; };  // a min-heap
  std::make_heap(heads.begin(), heads.end(), later);
  while (!heads.empty()) {
    std::pop_heap(heads.begin(), heads.end(), later);
    const size_t s = heads.back().second;
    heads.pop_back();
    const std::vector<ts_event>& q = queues[s];
    size_t& i = taken[s];
    do {
      out.push_back(q[i]);
      ++i;
    } while (i < ends[s] && (heads.empty() || std::pair<uint64_t, size_t>(q[i].ts_ns, s) < heads.front()));
    if (i < ends[s]) {
      heads.emplace_back(q[i].ts_ns, s);
      std::push_heap(heads.begin(), heads.end(), later);
    }
  }
}

}  // namespace

EventMerge::EventMerge(size_t sources) : queues_(sources), ends_(sources, 0) {}

size_t EventMerge::release(uint64_t cutoff_ns, std::vector<ts_event>& out) {
  // Each source in time order, and how much of it goes out: what is at or before the cutoff.
  std::vector<size_t> active;
  for (size_t s = 0; s < queues_.size(); ++s) {
    std::vector<ts_event>& q = queues_[s];
    if (!std::is_sorted(q.begin(), q.end(), older)) std::stable_sort(q.begin(), q.end(), older);
    const auto end = std::upper_bound(q.begin(), q.end(), cutoff_ns,
                                      [](uint64_t t, const ts_event& e) { return t < e.ts_ns; });
    ends_[s] = static_cast<size_t>(end - q.begin());
    if (ends_[s]) active.push_back(s);
  }
  const size_t before = out.size();
  const auto run = [&](size_t s) { return std::pair(queues_[s].cbegin(), queues_[s].cbegin() + static_cast<std::ptrdiff_t>(ends_[s])); };
  if (active.size() == 1) {
    const auto [b, e] = run(active[0]);
    out.insert(out.end(), b, e);
  } else if (active.size() == 2) {
    // The usual case on a host of few CPUs: one pass, no heap. std::merge takes the first range's
    // record on equal times, and active is in source order.
    const auto [b0, e0] = run(active[0]);
    const auto [b1, e1] = run(active[1]);
    // Grown by doubling, not to the exact size: a batch a little bigger than the last one would
    // otherwise move the whole vector into fresh pages at every drain.
    const size_t want = out.size() + ends_[active[0]] + ends_[active[1]];
    if (want > out.capacity()) out.reserve(std::max(want, 2 * out.capacity()));
    std::merge(b0, e0, b1, e1, std::back_inserter(out), older);
  } else if (active.size() > 2) {
    merge_by_heap(queues_, ends_, out);
  }
  for (size_t s : active) queues_[s].erase(queues_[s].begin(), queues_[s].begin() + static_cast<std::ptrdiff_t>(ends_[s]));
  return out.size() - before;
}

size_t EventMerge::held() const {
  size_t n = 0;
  for (const auto& q : queues_) n += q.size();
  return n;
}

}  // namespace tcpsight
