// `tcpsight top`, the processes view: which program holds how many sockets in which states.
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

enum Col : size_t { Pid, Comm, Sockets, Established, Listen, CloseWait, SynSent, Other, Retx, Rst, Ports };
constexpr size_t kMarker = 2;

const std::vector<TableColumn>& columns() {
  static const std::vector<TableColumn> cs = {
      {"pid", 7, 0},          {"comm", 16, 0, false}, {"sockets", 7, 0}, {"ESTAB", 6, 0},
      {"LISTEN", 6, 1},       {"CL_WAIT", 7, 0},      {"SYN_SENT", 8, 3}, {"other", 6, 3},
      {"retx/s", 7, 1},       {"rst/s", 6, 1},        {"listening on", 12, 2, false}};
  return cs;
}

uint64_t others(const ProcessRow& p) {
  uint64_t n = p.sockets;
  for (int s : {TS_ESTABLISHED, TS_LISTEN, TS_CLOSE_WAIT, TS_SYN_SENT}) n -= p.by_state[static_cast<size_t>(s)];
  return n;
}

std::string ports_text(const ProcessRow& p) {
  std::string out;
  for (uint16_t port : p.listening_ports) out += (out.empty() ? "" : ",") + std::to_string(port);
  return out.empty() ? "-" : out;
}

void sort_processes(std::vector<const ProcessRow*>& rows, ProcessSort sort) {
  std::stable_sort(rows.begin(), rows.end(), [sort](const ProcessRow* a, const ProcessRow* b) {
    if ((a->tgid == 0) != (b->tgid == 0)) return b->tgid == 0;  // "no process" last
    switch (sort) {
      case ProcessSort::Sockets:
        return a->sockets > b->sockets;
      case ProcessSort::Established:
        return a->by_state[TS_ESTABLISHED] > b->by_state[TS_ESTABLISHED];
      case ProcessSort::CloseWait:
        return a->by_state[TS_CLOSE_WAIT] > b->by_state[TS_CLOSE_WAIT];
      case ProcessSort::Retransmits:
        return std::tuple(a->retransmits_per_s, a->retransmits) > std::tuple(b->retransmits_per_s, b->retransmits);
      case ProcessSort::Resets:
        return std::tuple(a->resets_per_s, a->resets) > std::tuple(b->resets_per_s, b->resets);
      case ProcessSort::Pid:
        return a->tgid < b->tgid;
      case ProcessSort::Name:
        return std::tie(a->comm, a->tgid) < std::tie(b->comm, b->tgid);
    }
    return false;
  });
}

}  // namespace

std::vector<Line> processes_panel(const TopFrame& frame, const ViewState& view, size_t cols, const Glyphs& glyphs) {
  (void)glyphs;
  const SearchFilter filter(view.filter);
  std::vector<Line> out;
  Line title;
  title.add("PROCESSES", Style::Title).add(" holding TCP sockets");
  if (!filter.empty()) title.add(fmt::format("  matching \"{}\"", filter.text()), Style::Warn);
  out.push_back(std::move(title));
  if (!frame.details_known) {
    out.push_back(text_line(view.playback.empty() ? kDetailsComing : kDetailsNotRecorded, Style::Dim));
    return out;
  }
  std::vector<const ProcessRow*> rows;
  for (const ProcessRow& p : frame.processes)
    if (filter.matches(p)) rows.push_back(&p);
  sort_processes(rows, view.process_sort);
  out.push_back(Line{}
                    .add(fmt::format("{} processes", rows.size()))
                    .add(fmt::format("  sorted by {}", process_sort_name(view.process_sort)))
                    .add(fmt::format("  read {:.1f}s ago", frame.details_age_s), Style::Dim)
                    .add("  (Enter lists its sockets, s sorts, o/Esc back)", Style::Dim));

  const std::vector<TableColumn>& cs = columns();
  const size_t table_cols = cols > kMarker ? cols - kMarker : 0;
  size_t ports_cols = 0;
  const std::vector<size_t> shown = fitting_columns(cs, table_cols, Ports, &ports_cols);
  std::vector<std::string> labels;
  for (const TableColumn& c : cs) labels.push_back(c.label);
  out.push_back(Line{}.add("  ").add(
      table_row(cs, shown, Ports, ports_cols, labels, std::vector<Style>(cs.size(), Style::Label)).text(), Style::Label));
  if (rows.empty()) out.push_back(text_line("  (no process matches)", Style::Dim));

  for (const ProcessRow* p : rows) {
    const std::string key = DrillQuery::of_process(p->tgid).key();
    const bool highlighted = key == view.selected_here();
    const auto rate = [&frame](double per_s) { return frame.has_rates ? human_count(per_s) : std::string("-"); };
    const std::vector<std::string> cells = {
        p->tgid ? std::to_string(p->tgid) : "-",
        p->tgid ? visible_ascii(p->comm) : "(no process)",
        std::to_string(p->sockets),
        std::to_string(p->by_state[TS_ESTABLISHED]),
        std::to_string(p->by_state[TS_LISTEN]),
        std::to_string(p->by_state[TS_CLOSE_WAIT]),
        std::to_string(p->by_state[TS_SYN_SENT]),
        std::to_string(others(*p)),
        rate(p->retransmits_per_s),
        rate(p->resets_per_s),
        ports_text(*p)};
    std::vector<Style> styles(cs.size(), Style::Normal);
    styles[CloseWait] = quiet_unless(p->by_state[TS_CLOSE_WAIT] > 0, Style::Warn);
    styles[Retx] = rate_style(frame, p->retransmits_per_s, Style::Warn);
    styles[Rst] = rate_style(frame, p->resets_per_s, Style::Warn);
    if (!p->tgid) styles[Comm] = Style::Dim;
    Line l;
    l.add(highlighted ? "> " : "  ");
    const Line row = table_row(cs, shown, Ports, ports_cols, cells, styles);
    l.spans.insert(l.spans.end(), row.spans.begin(), row.spans.end());
    out.push_back(std::move(l.select_as(key)));
  }
  return out;
}

}  // namespace tcpsight
