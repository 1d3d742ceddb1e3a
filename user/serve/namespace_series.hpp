// Bounded namespace labels for serve -A (--max-namespaces N): at most N network namespaces get
// series of their own (netns="<inode>", container="<name>"); the others are summed into one
// netns="other", container="other". Pure: the caller says which namespaces exist at each gathering.
//
// Counters of every series must only rise, so placement is sticky: a namespace keeps its slot
// until it vanishes (then the slot goes to the next new namespace, never to one already in other),
// a namespace summed into other stays there, and when one of other's namespaces vanishes, its
// final counts stay added into other. Gauges of other (sockets, queues) are the sum of what its
// namespaces hold now. Namespace-local limits (port range, tcp_max_tw_buckets) and ephemeral port
// use mean nothing summed over namespaces: other has none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "serve/scrape_input.hpp"

namespace tcpsight {

inline constexpr size_t kDefaultMaxNamespaces = 100;

// One namespace at one gathering.
struct ShownNamespace {
  uint32_t inode = 0;
  std::string name;   // becomes the container label
  bool host = false;  // the host's namespace is placed first among new ones
  NamespaceFigures figures;
};

class NamespaceSeries {
 public:
  explicit NamespaceSeries(size_t max_namespaces) : max_(max_namespaces) {}

  // Places every namespace shown now (one that vanished is simply absent) and returns the series
  // to write: those with slots, by inode, then other once any namespace has been summed into it.
  std::vector<LabelledNamespace> place(const std::vector<ShownNamespace>& now, const SeriesCaps& caps);

  size_t shown() const { return slots_.size(); }
  size_t in_other() const { return other_.size(); }

 private:
  struct Counted {  // the monotonic part of a namespace in other, as last seen
    ts_counters counters{};
    KernelCounters kernel;
  };

  void release_vanished(const std::set<uint32_t>& present);
  void assign_new(const std::vector<ShownNamespace>& now);
  NamespaceFigures other_figures(const std::vector<ShownNamespace>& now);

  size_t max_;
  std::set<uint32_t> slots_;             // namespaces with series of their own
  std::map<uint32_t, Counted> other_;    // namespaces summed into other
  Counted retired_;                      // final counts of other's namespaces that vanished
  bool other_started_ = false;           // other is written from its first namespace on, for good
};

}  // namespace tcpsight
