// `tcpsight top`, the drill-down: the sockets behind a state, transition, listener, flow or process,
// with the figures `ss -tip` shows for each.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "core/display_name.hpp"
#include "core/tcp_state.hpp"
#include "top/drill_query.hpp"
#include "top/human_units.hpp"
#include "top/panel_text.hpp"
#include "top/panels.hpp"
#include "top/search_filter.hpp"
#include "top/table_columns.hpp"

namespace tcpsight {

using namespace panel;

namespace {

// Why a socket's time in state reads "?": top keeps per-socket timing only when asked.
constexpr std::string_view kUntimedNote =
    "in state ?: entered its state before top started, or top runs without --socket-timing";

enum Col : size_t { Local, Remote, State, InState, RecvQ, SendQ, Rtt, RttVar, Cwnd, Retx, Acked, Received, Uid, Owner };
constexpr size_t kMarker = 2;  // "> " before the highlighted row

// `owner_cols`: at least "pid/comm" of a 7-digit pid and a 15-byte comm where there is room.
std::vector<TableColumn> columns(size_t addr_cols, size_t owner_cols) {
  return {{"local", addr_cols, 0, false}, {"remote", addr_cols, 0, false}, {"state", 11, 0, false},
          {"in state", 8, 0},             {"Recv-Q", 7, 1},                {"Send-Q", 7, 1},
          {"rtt ms", 7, 2},               {"rttvar", 7, 4},                {"cwnd", 5, 3},
          {"retx", 5, 2},                 {"acked", 7, 5},                 {"rcvd", 7, 5},
          {"uid", 6, 6},                  {"pid/comm", owner_cols, 0, false}};
}

std::string owner_text(const SocketRow& s) {
  if (!s.tgid) return "-";
  std::string text = fmt::format("{}/{}", s.tgid, visible_ascii(s.comm));
  if (s.other_holders) text += fmt::format("+{}", s.other_holders);
  return text;
}

// Milliseconds with three significant digits, as ss -ti gives loopback's 0.047 and a WAN's 182.
std::string ms_text(uint32_t us) {
  const double ms = us / 1000.0;
  if (ms < 1) return fmt::format("{:.3f}", ms);
  if (ms < 10) return fmt::format("{:.2f}", ms);
  if (ms < 100) return fmt::format("{:.1f}", ms);
  return fmt::format("{:.0f}", ms);
}

std::vector<std::string> cells(const SocketRow& s, size_t addr_cols, const Glyphs& g) {
  const bool tcp_info = s.full && s.state != TS_LISTEN;
  const auto info = [tcp_info](std::string text) { return tcp_info ? text : std::string("-"); };
  std::string in_state = s.in_state_s ? human_uptime(*s.in_state_s) : "?";
  if (s.state == TS_TIME_WAIT) in_state = fmt::format("{}s left", s.time_wait_remaining_ms / 1000);
  return {endpoint_text(s.local, s.local_port, addr_cols, g),
          endpoint_text(s.remote, s.remote_port, addr_cols, g),
          std::string(state_name(s.state)),
          in_state,
          s.full ? std::to_string(s.recv_q) : "-",
          s.full ? std::to_string(s.send_q) : "-",
          info(ms_text(s.srtt_us)),
          info(ms_text(s.rttvar_us)),
          info(std::to_string(s.snd_cwnd)),
          info(std::to_string(s.total_retrans)),
          info(human_count(static_cast<double>(s.bytes_acked))),
          info(human_count(static_cast<double>(s.bytes_received))),
          s.full ? std::to_string(s.uid) : "-",
          owner_text(s)};
}

void sort_sockets(std::vector<const SocketRow*>& rows, SocketSort sort) {
  const auto key = [sort](const SocketRow& s) {
    switch (sort) {
      case SocketSort::InState:  // longest first; unknown after known
        return std::tuple(s.in_state_s ? -*s.in_state_s : 0.0, 0.0);
      case SocketSort::RecvQ:
        return std::tuple(-static_cast<double>(s.recv_q), 0.0);
      case SocketSort::SendQ:
        return std::tuple(-static_cast<double>(s.send_q), 0.0);
      case SocketSort::Rtt:
        return std::tuple(-static_cast<double>(s.srtt_us), 0.0);
      case SocketSort::Retransmits:
        return std::tuple(-static_cast<double>(s.total_retrans), -static_cast<double>(s.retrans_out));
      default:
        return std::tuple(0.0, 0.0);
    }
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const SocketRow* a, const SocketRow* b) {
    switch (sort) {
      case SocketSort::Local:
        return std::tie(a->local, a->local_port, a->remote, a->remote_port) <
               std::tie(b->local, b->local_port, b->remote, b->remote_port);
      case SocketSort::Remote:
        return std::tie(a->remote, a->remote_port, a->local, a->local_port) <
               std::tie(b->remote, b->remote_port, b->local, b->local_port);
      case SocketSort::Process:
        return std::tuple(a->tgid == 0, a->tgid, a->local_port) < std::tuple(b->tgid == 0, b->tgid, b->local_port);
      default:
        return key(*a) < key(*b);
    }
  });
}

}  // namespace

std::vector<Line> sockets_panel(const TopFrame& frame, const ViewState& view, size_t cols, const Glyphs& glyphs) {
  const std::optional<DrillQuery> query = DrillQuery::parse(view.drill);
  const SearchFilter filter(view.filter);
  std::vector<Line> out;
  Line title;
  title.add("SOCKETS", Style::Title).add(" " + (query ? query->title(glyphs) : std::string("?")));
  if (!filter.empty()) title.add(fmt::format("  matching \"{}\"", filter.text()), Style::Warn);
  out.push_back(std::move(title));

  if (!frame.details_known) {
    out.push_back(text_line(view.playback.empty() ? kDetailsComing : kDetailsNotRecorded, Style::Dim));
    return out;
  }
  std::vector<const SocketRow*> rows;
  for (const SocketRow& s : frame.sockets)
    if (query && query->matches(s) && filter.matches(s)) rows.push_back(&s);
  sort_sockets(rows, view.socket_sort);
  out.push_back(Line{}
                    .add(fmt::format("{} sockets", rows.size()))
                    .add(fmt::format("  sorted by {}", socket_sort_name(view.socket_sort)))
                    .add(fmt::format("  read {:.1f}s ago", frame.details_age_s), Style::Dim)
                    .add("  (s sorts, / searches, Esc back)", Style::Dim));
  const bool untimed = std::any_of(rows.begin(), rows.end(), [](const SocketRow* s) {
    return !s->in_state_s && s->state != TS_TIME_WAIT;
  });
  if (untimed) out.push_back(text_line(kUntimedNote, Style::Dim));

  const size_t table_cols = cols > kMarker ? cols - kMarker : 0;
  // IPv4 endpoints take 21 columns; longer IPv6 ones are shortened in the middle.
  const size_t addr_cols = std::clamp<size_t>(table_cols > 40 ? (table_cols - 40) / 2 : 0, 15, 23);
  const std::vector<TableColumn> cs = columns(addr_cols, table_cols >= 100 ? 23 : 14);
  size_t owner_cols = 0;
  const std::vector<size_t> shown = fitting_columns(cs, table_cols, Owner, &owner_cols);
  std::vector<std::string> labels;
  for (const TableColumn& c : cs) labels.push_back(c.label);
  out.push_back(Line{}.add("  ").add(
      table_row(cs, shown, Owner, owner_cols, labels, std::vector<Style>(cs.size(), Style::Label)).text(),
      Style::Label));

  if (rows.empty())
    out.push_back(text_line(query && query->closed()
                                ? fmt::format("  closed sockets are gone: `tcpsight trace --state {}` lists them as "
                                              "they close",
                                              state_name(query->from))
                                : "  (no such socket now)",
                            Style::Dim));
  for (const SocketRow* s : rows) {
    const std::string key = DrillQuery::of_socket(s->cookie).key();
    const bool highlighted = key == view.selected_here();
    std::vector<Style> styles(cs.size(), Style::Normal);
    styles[InState] = s->in_state_s ? Style::Normal : Style::Dim;
    if (s->recv_q && s->state != TS_LISTEN) styles[RecvQ] = Style::Warn;
    if (s->retrans_out) styles[Retx] = Style::Warn;
    if (s->state == TS_CLOSE_WAIT) styles[State] = Style::Warn;
    styles[Owner] = quiet_unless(s->tgid != 0);
    Line l;
    l.add(highlighted ? "> " : "  ");
    const Line row = table_row(cs, shown, Owner, owner_cols, cells(*s, addr_cols, glyphs), styles);
    l.spans.insert(l.spans.end(), row.spans.begin(), row.spans.end());
    out.push_back(std::move(l.select_as(key)));
  }
  return out;
}

}  // namespace tcpsight
