#include "serve/listener_series.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace tcpsight {

namespace {

struct Merged {
  IpAddress addr;
  uint16_t port = 0;
  ListenerSeriesEntry entry;
};

void add_into(ListenerSeriesEntry& into, const ListenerSeriesEntry& from) {
  into.syn_queue += from.syn_queue;
  into.accept_queue += from.accept_queue;
  into.max_backlog += from.max_backlog;
  into.sockets += from.sockets;
}

}  // namespace

ListenerSeries select_listener_series(std::span<const ListenerQueue> listeners, size_t cap) {
  std::map<std::pair<uint16_t, IpAddress>, ListenerSeriesEntry> by_endpoint;
  for (const ListenerQueue& l : listeners)
    add_into(by_endpoint[{l.port, l.addr}], {"", l.syn_queue, l.accept_queue, l.max_backlog, 1});

  std::vector<Merged> ranked;
  ranked.reserve(by_endpoint.size());
  for (auto& [key, entry] : by_endpoint) {
    entry.local = format_endpoint(key.second, key.first);
    ranked.push_back({key.second, key.first, std::move(entry)});
  }
  // by_endpoint is ordered by port then address; a stable sort by queue length keeps that for ties.
  std::stable_sort(ranked.begin(), ranked.end(), [](const Merged& a, const Merged& b) {
    return a.entry.syn_queue + a.entry.accept_queue > b.entry.syn_queue + b.entry.accept_queue;
  });

  auto bounded = bound_series(std::move(ranked), cap, Merged{{}, 0, {kOtherSeriesLabel}},
                              [](Merged& into, const Merged& from) { add_into(into.entry, from.entry); });
  std::sort(bounded.kept.begin(), bounded.kept.end(), [](const Merged& a, const Merged& b) {
    return a.port != b.port ? a.port < b.port : a.addr < b.addr;
  });
  ListenerSeries out;
  out.listening_sockets = listeners.size();
  for (Merged& m : bounded.kept) out.kept.push_back(std::move(m.entry));
  if (bounded.other) out.other = std::move(bounded.other->entry);
  out.dropped = bounded.dropped;
  return out;
}

}  // namespace tcpsight
