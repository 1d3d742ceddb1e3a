#include "core/stats_detail.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "core/address.hpp"
#include "core/display_name.hpp"
#include "core/tcp_state.hpp"

namespace tcpsight {

namespace {

// Reported states with a non-zero count, in display order.
nlohmann::json nonzero_states(const std::array<uint64_t, TS_NSTATES>& by_state) {
  nlohmann::json out = nlohmann::json::object();
  for (int s : kReportedStates)
    if (const uint64_t n = by_state[static_cast<size_t>(s)]) out[std::string(state_name(s))] = n;
  return out;
}

std::string states_text(const std::array<uint64_t, TS_NSTATES>& by_state) {
  std::string out;
  for (int s : kReportedStates)
    if (const uint64_t n = by_state[static_cast<size_t>(s)]) out += fmt::format(" {} {}", state_name(s), n);
  return out.empty() ? " none" : out;
}

// The processes to show within the limit, and the sockets no process holds (always shown).
struct OwnerList {
  std::vector<ProcessRow> shown;  // processes, most sockets first
  std::optional<ProcessRow> unheld;
  size_t more = 0;  // processes left out
};

OwnerList owner_list(std::span<const SocketRow> rows, const OwnerIndex& owners, size_t limit) {
  OwnerList list;
  for (ProcessRow& p : process_rows(rows, owners)) {
    if (p.tgid == 0)
      list.unheld = std::move(p);
    else if (list.shown.size() < limit)
      list.shown.push_back(std::move(p));
    else
      ++list.more;
  }
  return list;
}

template <typename T>
std::string joined(const std::vector<T>& values) {
  return values.empty() ? "-" : fmt::format("{}", fmt::join(values, ","));
}

}  // namespace

nlohmann::json detail_json(std::span<const SocketRow> rows, const OwnerIndex& owners, const DetailRequest& request) {
  nlohmann::json out = {{"limit", request.limit}};
  if (request.owners) {
    const OwnerList list = owner_list(rows, owners, request.limit);
    nlohmann::json owners_json = nlohmann::json::array();
    const auto entry = [](const ProcessRow& p) {
      return nlohmann::json{{"pid", p.tgid ? nlohmann::json(p.tgid) : nlohmann::json(nullptr)},
                            {"comm", p.tgid ? nlohmann::json(visible_text(p.comm)) : nlohmann::json(nullptr)},
                            {"sockets", p.sockets},
                            {"states", nonzero_states(p.by_state)},
                            {"listening", p.listening_ports}};
    };
    for (const ProcessRow& p : list.shown) owners_json.push_back(entry(p));
    if (list.unheld) owners_json.push_back(entry(*list.unheld));
    out["owners"] = std::move(owners_json);
    out["owners_more"] = list.more;
  }
  if (request.listeners) {
    const std::vector<ListenerDetail> all = listener_details(rows);
    nlohmann::json listeners = nlohmann::json::array();
    for (size_t i = 0; i < all.size() && i < request.limit; ++i) {
      const ListenerDetail& l = all[i];
      listeners.push_back({{"addr", format_address(l.addr)},
                           {"port", l.port},
                           {"syn_queue", l.syn_queue},
                           {"accept_queue", l.accept_queue},
                           {"backlog", l.backlog},
                           {"pids", l.pids},
                           {"sharing", l.sharing},
                           {"connections", nonzero_states(l.connections)}});
    }
    out["listeners"] = std::move(listeners);
    out["listeners_more"] = all.size() > request.limit ? all.size() - request.limit : 0;
  }
  return out;
}

std::string detail_text(std::span<const SocketRow> rows, const OwnerIndex& owners, const DetailRequest& request) {
  std::string out;
  if (request.owners) {
    const OwnerList list = owner_list(rows, owners, request.limit);
    const auto line = [&](const ProcessRow& p) {
      const std::string pid = p.tgid ? std::to_string(p.tgid) : "-";
      const std::string comm = p.tgid ? visible_text(p.comm) : "-";
      out += fmt::format("owner       {:>7} {:<16} sockets {:>6} {}", pid, comm, p.sockets, states_text(p.by_state));
      if (!p.listening_ports.empty()) out += fmt::format("  listening {}", joined(p.listening_ports));
      out += "\n";
    };
    for (const ProcessRow& p : list.shown) line(p);
    if (list.more) out += fmt::format("owner       {} more processes not shown (--detail-limit {})\n", list.more, request.limit);
    if (list.unheld) line(*list.unheld);
  }
  if (request.listeners) {
    const std::vector<ListenerDetail> all = listener_details(rows);
    for (size_t i = 0; i < all.size() && i < request.limit; ++i) {
      const ListenerDetail& l = all[i];
      out += fmt::format("listener    {:<30} syn queue {}  accept queue {}/{}  pids {}{}  connections{}\n",
                         format_endpoint(l.addr, l.port), l.syn_queue, l.accept_queue, l.backlog, joined(l.pids),
                         l.sharing > 1 ? fmt::format(" (port shared by {} listeners)", l.sharing) : "",
                         states_text(l.connections));
    }
    if (all.size() > request.limit)
      out += fmt::format("listener    {} more not shown (--detail-limit {})\n", all.size() - request.limit, request.limit);
  }
  return out;
}

}  // namespace tcpsight
