#include "top/namespace_models.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/display_name.hpp"

namespace tcpsight {

namespace {

// Flows a namespace's flow table keeps: the host's view keeps 4096 over every namespace.
constexpr size_t kFlowsPerNamespace = 1024;

// How the header names a namespace: "web (podman)", "ts-top-a (netns)", "host"; "... GONE".
std::string header_name(const NamespaceIdentity& id, bool gone) {
  // The name is visible_text() already; the screen counts a byte as a column.
  std::string name = id.name.empty() ? fmt::format("netns-{}", id.inode) : visible_ascii(id.name);
  if (!id.kind.empty() && id.kind != "host" && id.kind != "inode") name += " (" + id.kind + ")";
  return gone ? name + " GONE" : name;
}

uint64_t state_count(const TopFrame& f, int state) {
  const auto it = std::find_if(f.states.begin(), f.states.end(), [&](const StateRow& s) { return s.state == state; });
  return it == f.states.end() ? 0 : it->count;
}

NamespaceRow row_of(uint32_t inode, const NamespaceIdentity& id, bool gone, const TopFrame& f) {
  return {.inode = inode,
          .name = id.name.empty() ? fmt::format("netns-{}", inode) : id.name,
          .kind = id.kind,
          .gone = gone,
          .sockets = f.sockets_total,
          .established = state_count(f, TS_ESTABLISHED),
          .time_wait = state_count(f, TS_TIME_WAIT),
          .syn_recv = f.syn_recv,
          .retransmits_per_s = f.retransmits_per_s,
          .resets_per_s = f.resets_sent_per_s + f.resets_received_per_s,
          .listen_overflows_per_s = f.listen_overflows_per_s,
          .has_rates = f.has_rates};
}

}  // namespace

const TopFrame& shown_frame(const NamespaceFrames& frames, const ViewState& view) {
  if (view.drilled)
    if (const auto it = frames.each.find(*view.drilled); it != frames.each.end()) return it->second;
  return frames.list;
}

NamespaceModels::NamespaceModels(HostInfo host, double start_s) : host_(std::move(host)), start_s_(start_s) {}

NamespaceModels::Watched& NamespaceModels::watched(uint32_t inode) {
  auto it = watched_.find(inode);
  if (it == watched_.end()) {
    NamespaceIdentity id;  // named at the next refresh, from the table
    id.inode = inode;
    it = watched_.emplace(inode, Watched{TopModel(host_, start_s_, kFlowsPerNamespace), std::move(id), false}).first;
  }
  return it->second;
}

void NamespaceModels::on_event(const ts_event& e) { watched(e.netns).model.on_event(e); }

void NamespaceModels::name(Watched& w, const NamespaceIdentity& id, bool gone) {
  w.id = id;
  w.gone = gone;
  HostInfo host = host_;
  host.netns = header_name(id, gone);
  w.model.set_host(std::move(host));
}

void NamespaceModels::refresh(const NamespaceTable& table, const NamespaceRefresh& r) {
  now_s_ = r.now_s;
  wall_s_ = r.wall_s;
  events_lost_ = r.events_lost;
  for (const auto& [inode, ns] : table.namespaces()) {
    Watched& w = watched(inode);
    name(w, ns.id, ns.gone);
    ts_counters counters = ns.figures.totals();
    counters.events_lost = r.events_lost;  // the rings serve every namespace: a lost record may have been anyone's
    // The ephemeral port share needs the raw records, which the table does not keep: no port range.
    const bool details = r.details_taken && r.keep == inode;
    w.model.refresh({counters, {}, ns.kernel, std::nullopt, r.now_s, r.wall_s, r.snapshot_fresh,
                     ns.figures.snapshot_age(), r.owners, &ns.figures.census(), details,
                     details ? r.details : std::span<const ts_sock_detail>{}, r.details_ns, r.detail_owners});
  }
  // Dropped by the table (or only ever seen in events): forgotten, unless it is on screen.
  for (auto it = watched_.begin(); it != watched_.end();) {
    if (table.find(it->first)) {
      ++it;
    } else if (it->first == r.keep) {
      name(it->second, it->second.id, true);
      ++it;
    } else {
      it = watched_.erase(it);
    }
  }
}

NamespaceFrames NamespaceModels::frames() const {
  NamespaceFrames out;
  TopFrame& list = out.list;
  list.host = host_;
  list.host.netns = fmt::format("all ({})", watched_.size());
  list.netns_scoped = true;
  list.uptime_s = now_s_ - start_s_;
  list.wall_time_s = wall_s_;
  list.events_lost = events_lost_;
  for (const auto& [inode, w] : watched_) {
    TopFrame f = w.model.frame();
    f.netns_scoped = true;
    list.has_rates = list.has_rates || f.has_rates;
    list.interval_s = std::max(list.interval_s, f.interval_s);
    list.events_per_s += f.events_per_s;
    list.sockets_total += f.sockets_total;
    list.snapshot_age_s = std::max(list.snapshot_age_s, f.snapshot_age_s);
    list.retransmits_per_s += f.retransmits_per_s;
    list.resets_sent_per_s += f.resets_sent_per_s;
    list.resets_received_per_s += f.resets_received_per_s;
    list.namespaces.push_back(row_of(inode, w.id, w.gone, f));
    out.each.emplace(inode, std::move(f));
  }
  return out;
}

bool NamespaceModels::wants_owner_scan(const OwnerIndex& owners) const {
  return std::any_of(watched_.begin(), watched_.end(),
                     [&](const auto& kv) { return kv.second.model.wants_owner_scan(owners); });
}

}  // namespace tcpsight
