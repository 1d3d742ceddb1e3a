#include "kernel/event_merge.hpp"

#include <algorithm>
#include <utility>

namespace tcpsight {

EventMerge::EventMerge(size_t sources) : queues_(sources), taken_(sources, 0) {}

size_t EventMerge::release(uint64_t cutoff_ns, const Sink& sink) {
  const auto older = [](const ts_event& a, const ts_event& b) { return a.ts_ns < b.ts_ns; };
  // The heads of the sources with something to pass on, as (time, source), oldest on top.
  std::vector<std::pair<uint64_t, size_t>> heads;
  for (size_t s = 0; s < queues_.size(); ++s) {
    std::vector<ts_event>& q = queues_[s];
    if (!std::is_sorted(q.begin(), q.end(), older)) std::stable_sort(q.begin(), q.end(), older);
    taken_[s] = 0;
    if (!q.empty() && q.front().ts_ns <= cutoff_ns) heads.emplace_back(q.front().ts_ns, s);
  }
  const auto later = [](const auto& a, const auto& b) { return a > b; };  // a min-heap
  std::make_heap(heads.begin(), heads.end(), later);
  size_t released = 0;
  while (!heads.empty()) {
    std::pop_heap(heads.begin(), heads.end(), later);
    const size_t s = heads.back().second;
    heads.pop_back();
    const std::vector<ts_event>& q = queues_[s];
    size_t& i = taken_[s];
    // This source's records go out in one run while they come before the next source's head.
    const auto ours_next = [&] {
      return i < q.size() && q[i].ts_ns <= cutoff_ns && (heads.empty() || std::pair<uint64_t, size_t>(q[i].ts_ns, s) < heads.front());
    };
    do {
      sink(q[i]);
      ++i;
      ++released;
    } while (ours_next());
    if (i < q.size() && q[i].ts_ns <= cutoff_ns) {
      heads.emplace_back(q[i].ts_ns, s);
      std::push_heap(heads.begin(), heads.end(), later);
    }
  }
  for (size_t s = 0; s < queues_.size(); ++s)
    queues_[s].erase(queues_[s].begin(), queues_[s].begin() + static_cast<std::ptrdiff_t>(taken_[s]));
  return released;
}

size_t EventMerge::held() const {
  size_t n = 0;
  for (const auto& q : queues_) n += q.size();
  return n;
}

}  // namespace tcpsight
