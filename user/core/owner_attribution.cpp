#include "core/owner_attribution.hpp"

#include <algorithm>
#include <cstring>

namespace tcpsight {

bool describes_unborn_child(const ts_event& e) {
  return e.kind == TS_EV_STATE && e.old_state == TS_LISTEN && e.new_state == TS_SYN_RECV && e.dport == 0;
}

bool holder_may_close(int state) {
  return state == TS_ESTABLISHED || state == TS_SYN_RECV || state == TS_CLOSE_WAIT || state == TS_SYN_SENT;
}

OwnerAttribution::OwnerAttribution(OwnerAttributionOptions options)
    : options_(options), pacer_(options.min_scan_interval_s, options.scan_cpu_share) {
  options_.remembered_capacity = std::max<size_t>(options_.remembered_capacity, 1);
}

bool OwnerAttribution::names_owner(const ts_event& e) const {
  return (e.flags & TS_F_OWNER_KNOWN) && e.tgid != 0 && e.tgid != options_.self_tgid && !describes_unborn_child(e);
}

void OwnerAttribution::add(const ts_event& e, double now_s) {
  if (held_.empty()) first_held_s_ = now_s;
  held_.push_back(e);
  if (describes_unborn_child(e)) return;
  if (names_owner(e)) {
    named_in_held_.insert(e.cookie);
    unresolved_.erase(e.cookie);
  } else if (!named_in_held_.contains(e.cookie) && !remembered_.contains(e.cookie)) {
    unresolved_[e.cookie] = e.new_state;
  }
}

bool OwnerAttribution::scan_due(double now_s) const { return !unresolved_.empty() && pacer_.due(now_s); }

void OwnerAttribution::on_scan(std::span<const ts_owner_record> records, double started_s, double finished_s) {
  pacer_.taken(started_s, finished_s);
  index_ = OwnerIndex(records, started_s);
  ++scans_;
  // Found, or held by nobody with no close() to come: nothing more to wait for.
  std::erase_if(unresolved_, [&](const auto& entry) {
    return !index_.holders(entry.first).empty() || !holder_may_close(entry.second);
  });
}

bool OwnerAttribution::ready(double now_s) const {
  if (held_.empty()) return false;
  return unresolved_.empty() || now_s - first_held_s_ >= options_.max_hold_s ||
         held_.size() >= options_.max_held_events;
}

Owner OwnerAttribution::holders_of(uint64_t cookie) const {
  Owner o;
  const auto holders = index_.holders(cookie);
  if (holders.empty()) return o;
  o.source = OwnerSource::scan;
  o.tgid = holders.front().tgid;
  o.comm = comm_text(holders.front().comm);
  o.holders.reserve(holders.size());
  for (const auto& h : holders) o.holders.push_back(h.tgid);
  return o;
}

Owner OwnerAttribution::owner_of(const Named& n) const {
  Owner o;
  o.source = OwnerSource::event;
  o.tgid = n.tgid;
  o.comm = comm_text(n.comm);
  return o;
}

const OwnerAttribution::Named* OwnerAttribution::recall(uint64_t cookie) {
  const auto it = remembered_.find(cookie);
  if (it == remembered_.end()) return nullptr;
  // A scan that started after the naming event and saw the socket held, but not by that process:
  // the process has passed it on (or exited, leaving it to a child).
  if (index_.taken() && index_.scanned_s() * 1e9 > static_cast<double>(it->second.ts_ns)) {
    const auto holders = index_.holders(cookie);
    const bool still = std::any_of(holders.begin(), holders.end(),
                                   [&](const OwnerIndex::Holder& h) { return h.tgid == it->second.tgid; });
    if (!holders.empty() && !still) {
      remembered_.erase(it);
      return nullptr;
    }
  }
  it->second.used = ++use_clock_;
  return &it->second;
}

void OwnerAttribution::remember(uint64_t cookie, const Named& n) {
  if (!remembered_.contains(cookie) && remembered_.size() >= options_.remembered_capacity) {
    // Evict the least recently used eighth at once, so eviction stays cheap per socket.
    std::vector<std::pair<uint64_t, uint64_t>> by_use;  // (used, cookie)
    by_use.reserve(remembered_.size());
    for (const auto& [c, named] : remembered_) by_use.emplace_back(named.used, c);
    const size_t drop = std::max<size_t>(remembered_.size() / 8, 1);
    std::nth_element(by_use.begin(), by_use.begin() + static_cast<std::ptrdiff_t>(drop - 1), by_use.end());
    for (size_t i = 0; i < drop; ++i) remembered_.erase(by_use[i].second);
    evictions_ += drop;
  }
  Named& slot = remembered_[cookie];
  slot = n;
  slot.used = ++use_clock_;
}

std::vector<OwnedEvent> OwnerAttribution::release() {
  // Rule 3: for each event, the first event after it (of the same socket) that names the owner.
  std::vector<const ts_event*> next_named(held_.size(), nullptr);
  {
    std::unordered_map<uint64_t, const ts_event*> later;
    for (size_t i = held_.size(); i-- > 0;) {
      const ts_event& e = held_[i];
      if (describes_unborn_child(e)) continue;
      if (names_owner(e))
        later[e.cookie] = &e;
      else if (const auto it = later.find(e.cookie); it != later.end())
        next_named[i] = it->second;
    }
  }
  const auto named = [](const ts_event& e) {
    Named n;
    n.tgid = e.tgid;
    std::memcpy(n.comm, e.comm, sizeof n.comm);
    n.ts_ns = e.ts_ns;
    return n;
  };

  std::vector<OwnedEvent> out;
  out.reserve(held_.size());
  for (size_t i = 0; i < held_.size(); ++i) {
    const ts_event& e = held_[i];
    OwnedEvent& oe = out.emplace_back();
    oe.event = e;
    if (describes_unborn_child(e)) continue;  // unknown
    if (names_owner(e)) {
      remember(e.cookie, named(e));  // rule 2 for the events after it
      oe.owner = owner_of(remembered_.at(e.cookie));
    } else if (const Named* n = recall(e.cookie)) {
      oe.owner = owner_of(*n);
    } else if (next_named[i]) {
      oe.owner = owner_of(named(*next_named[i]));
    } else {
      oe.owner = holders_of(e.cookie);
    }
    // Who else held it at the last scan, whatever named the owner: `--pid` matches them too.
    if (oe.owner.source == OwnerSource::event)
      for (const auto& h : index_.holders(e.cookie)) oe.owner.holders.push_back(h.tgid);
    if (e.kind == TS_EV_STATE && e.new_state == TS_CLOSE) remembered_.erase(e.cookie);
  }
  held_.clear();
  named_in_held_.clear();
  unresolved_.clear();
  return out;
}

}  // namespace tcpsight
