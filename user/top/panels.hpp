// The panels of `tcpsight top`. Each lays itself out in the columns (and, for tables, the rows)
// it is given and returns its lines; lines may be shorter than `cols`, never longer.
#pragma once

#include <vector>

#include "top/glyphs.hpp"
#include "top/screen.hpp"
#include "top/top_frame.hpp"
#include "top/view_state.hpp"

namespace tcpsight {

// One row per state: name, count, change per second, a bar against the largest count.
std::vector<Line> states_panel(const TopFrame& frame, size_t cols, const Glyphs& glyphs);
// Every transition seen with its rate and total: the abnormal ones (refused or timed-out
// connects, aborts, dropped handshakes) first and marked, then the busiest.
std::vector<Line> transitions_panel(const TopFrame& frame, size_t cols, const Glyphs& glyphs);
// SYN_SENT/SYN_RECV, SYN-ACK retransmits, the kernel's listen counters, and per listener the
// queues (at most `listener_rows` listeners; the view's port filter applies).
std::vector<Line> half_open_panel(const TopFrame& frame, const ViewState& view, size_t cols, size_t listener_rows,
                                  const Glyphs& glyphs);
// Count, entries per second, remaining-lifetime histogram, top remote hosts, ephemeral port share.
std::vector<Line> time_wait_panel(const TopFrame& frame, size_t cols, size_t table_rows, const Glyphs& glyphs);
// Retransmit and reset rates and the flows behind them (sorted and filtered by the view).
std::vector<Line> trouble_panel(const TopFrame& frame, const ViewState& view, size_t cols, size_t flow_rows,
                                const Glyphs& glyphs);
// top -A: a row per namespace (sorted by the view): sockets, the states that pile up, trouble rates;
// gone ones marked. `highlighted`: the index in `lines` of the view's highlighted row.
struct ListLines {
  std::vector<Line> lines;
  size_t highlighted = 0;
};
ListLines namespaces_panel(const TopFrame& frame, const ViewState& view, size_t cols, const Glyphs& glyphs);
// The drill-down: the sockets the view's DrillQuery names, with holder, time in state, queues and
// tcp_info figures, sorted and searched by the view. `highlighted`: as for the namespaces list.
std::vector<Line> sockets_panel(const TopFrame& frame, const ViewState& view, size_t cols, const Glyphs& glyphs);
// The processes holding sockets: sockets by state, listening ports, trouble rates.
std::vector<Line> processes_panel(const TopFrame& frame, const ViewState& view, size_t cols, const Glyphs& glyphs);
// The keys and what each panel's numbers are.
std::vector<Line> help_panel(size_t cols, const Glyphs& glyphs);

}  // namespace tcpsight
