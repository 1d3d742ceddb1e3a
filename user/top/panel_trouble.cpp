// `tcpsight top`, RETRANSMITS and RESETS panel with the flow table.
#include <fmt/format.h>

#include <algorithm>

#include "core/display_name.hpp"
#include "core/tcp_state.hpp"
#include "top/drill_query.hpp"
#include "top/flow_table.hpp"
#include "top/human_units.hpp"
#include "top/search_filter.hpp"
#include "top/panel_text.hpp"
#include "top/panels.hpp"

namespace tcpsight {

using namespace panel;

namespace {

// "4242/nginx", "4242/nginx+3" when three more processes hold the socket, "-" when nobody does.
std::string owner_text(const FlowRow& f) {
  if (!f.tgid) return "-";
  std::string text = fmt::format("{}/{}", f.tgid, visible_ascii(f.comm));
  if (f.other_holders) text += fmt::format("+{}", f.other_holders);
  return text;
}

}  // namespace

std::vector<Line> trouble_panel(const TopFrame& frame, const ViewState& view, size_t cols, size_t flow_rows,
                                const Glyphs& glyphs) {
  std::vector<Line> out;
  out.push_back(
      Line{}
          .add("RETRANSMITS", Style::Title)
          .add(" ")
          .add(rate_text(frame, frame.retransmits_per_s), rate_style(frame, frame.retransmits_per_s, Style::Warn))
          .add(fmt::format(" ({} total)   ", frame.retransmits), Style::Dim)
          .add("RESETS", Style::Title)
          .add(" sent ")
          .add(rate_text(frame, frame.resets_sent_per_s), rate_style(frame, frame.resets_sent_per_s, Style::Warn))
          .add(fmt::format(" ({})", frame.resets_sent), Style::Dim)
          .add("  received ")
          .add(rate_text(frame, frame.resets_received_per_s),
               rate_style(frame, frame.resets_received_per_s, Style::Warn))
          .add(fmt::format(" ({})", frame.resets_received), Style::Dim));

  Line title;
  title.add("TOP FLOWS", Style::Title).add(" by " + std::string(flow_sort_name(view.sort)));
  const SearchFilter filter(view.filter);
  if (!filter.empty()) title.add(fmt::format("  matching \"{}\"", filter.text()), Style::Warn);
  title.add("  (s sorts, / searches, Enter lists a flow's socket)", Style::Dim);
  out.push_back(std::move(title));

  constexpr size_t kState = 11, kRetx = 6, kRst = 5, kPerSecond = 6;
  const size_t addr_cols = std::clamp<size_t>(cols > 40 ? (cols - 40) / 2 : 0, 15, kAddressColumns);
  out.push_back(Line{}
                    .add(pad_right("local", addr_cols), Style::Label)
                    .add(" ")
                    .add(pad_right("remote", addr_cols), Style::Label)
                    .add(" ")
                    .add(pad_right("state", kState), Style::Label)
                    .add(" ")
                    .add(pad_left("retx", kRetx), Style::Label)
                    .add(" ")
                    .add(pad_left("/s", kPerSecond), Style::Label)
                    .add(" ")
                    .add(pad_left("rst", kRst), Style::Label)
                    .add(" ")
                    .add(pad_left("/s", kPerSecond), Style::Label)
                    .add(" ")
                    .add("pid/comm", Style::Label));

  const std::vector<FlowRow> flows = select_flows(frame.flows, view.sort, filter);
  if (flows.empty())
    out.push_back(text_line(filter.empty() ? "(no retransmits or resets in the last minute)"
                                           : fmt::format("(no flow with retransmits or resets matches \"{}\")",
                                                         filter.text()),
                            Style::Dim));
  for (size_t i = 0; i < flows.size() && i < flow_rows; ++i) {
    const FlowRow& f = flows[i];
    out.push_back(Line{}
                      .add(pad_right(endpoint_text(f.local, f.local_port, addr_cols, glyphs), addr_cols))
                      .add(" ")
                      .add(pad_right(endpoint_text(f.remote, f.remote_port, addr_cols, glyphs), addr_cols))
                      .add(" ")
                      .add(pad_right(state_name(f.state), kState))
                      .add(" ")
                      .add(pad_left(std::to_string(f.retransmits), kRetx), quiet_unless(f.retransmits > 0, Style::Warn))
                      .add(" ")
                      .add(pad_left(rate_text(frame, f.retransmits_per_s), kPerSecond),
                           rate_style(frame, f.retransmits_per_s, Style::Warn))
                      .add(" ")
                      .add(pad_left(std::to_string(f.resets), kRst), quiet_unless(f.resets > 0, Style::Warn))
                      .add(" ")
                      .add(pad_left(rate_text(frame, f.resets_per_s), kPerSecond),
                           rate_style(frame, f.resets_per_s, Style::Warn))
                      .add(" ")
                      .add(owner_text(f), quiet_unless(f.tgid != 0))
                      .select_as(DrillQuery::of_flow(f.local, f.local_port, f.remote, f.remote_port).key()));
  }
  if (flows.size() > flow_rows)
    out.push_back(text_line(fmt::format("{} {} more flows", glyphs.ellipsis, flows.size() - flow_rows), Style::Dim));
  if (frame.flows_evicted)
    out.push_back(
        text_line(fmt::format("({} quiet flows evicted: the flow table is full)", frame.flows_evicted), Style::Dim));
  return out;
}

}  // namespace tcpsight
