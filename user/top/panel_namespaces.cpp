// `tcpsight top -A`, NAMESPACES panel: which namespace needs a look.
#include <fmt/format.h>

#include "core/display_name.hpp"
#include "top/human_units.hpp"
#include "top/namespace_list.hpp"
#include "top/panel_text.hpp"
#include "top/panels.hpp"

namespace tcpsight {

using namespace panel;

namespace {

struct Column {
  const char* label;
  size_t width;
  NamespaceSort sort;
};

// After the name, in the order of NamespaceSort.
constexpr Column kColumns[] = {
    {"sockets", 8, NamespaceSort::Sockets},    {"ESTAB", 7, NamespaceSort::Established},
    {"TIME_WAIT", 9, NamespaceSort::TimeWait}, {"SYN_RECV", 8, NamespaceSort::SynRecv},
    {"retx/s", 7, NamespaceSort::Retransmits}, {"rst/s", 7, NamespaceSort::Resets},
    {"ovfl/s", 7, NamespaceSort::ListenOverflows},
};
constexpr size_t kMarker = 2;  // "> " before the highlighted row
constexpr size_t kMinName = 8;

size_t name_columns(size_t cols) {
  size_t fixed = kMarker;
  for (const Column& c : kColumns) fixed += c.width + 1;
  return cols > fixed + kMinName ? cols - fixed : kMinName;
}

Line row_line(const NamespaceRow& r, bool highlighted, size_t name_cols, const Glyphs& glyphs) {
  // The columns say "/s": the number alone.
  const auto rate = [&r](double per_s) { return r.has_rates ? human_count(per_s) : std::string("-"); };
  const std::string values[] = {std::to_string(r.sockets),   std::to_string(r.established),
                                std::to_string(r.time_wait), std::to_string(r.syn_recv),
                                rate(r.retransmits_per_s),   rate(r.resets_per_s),
                                rate(r.listen_overflows_per_s)};
  const bool trouble[] = {false, false, false, false, r.has_rates && r.retransmits_per_s > 0,
                          r.has_rates && r.resets_per_s > 0, r.has_rates && r.listen_overflows_per_s > 0};
  const std::string name = r.gone ? r.name + " (gone)" : r.name;
  Line l;
  l.add(highlighted ? "> " : "  ")
      .add(pad_right(shorten_middle(visible_ascii(name), name_cols, glyphs.ellipsis), name_cols),
           r.gone ? Style::Dim : Style::Normal);
  for (size_t i = 0; i < std::size(kColumns); ++i)
    l.add(" ").add(pad_left(values[i], kColumns[i].width), trouble[i] ? Style::Warn : quiet_unless(!r.gone));
  if (highlighted)
    for (Span& s : l.spans) s.style = Style::Header;
  return l;
}

}  // namespace

ListLines namespaces_panel(const TopFrame& frame, const ViewState& view, size_t cols, const Glyphs& glyphs) {
  const std::vector<NamespaceRow> rows = sort_namespaces(frame.namespaces, view.namespace_sort);
  const size_t name_cols = name_columns(cols);
  ListLines out;
  out.lines.push_back(Line{}
                          .add("NAMESPACES", Style::Title)
                          .add(fmt::format(" {}  by {}", rows.size(), namespace_sort_name(view.namespace_sort)))
                          .add(fmt::format("  (s sorts, {} selects, Enter shows one)", glyphs.up_down), Style::Dim));
  Line labels;
  labels.add(pad_right("", kMarker)).add(pad_right("name", name_cols), view.namespace_sort == NamespaceSort::Name
                                                                           ? Style::Title
                                                                           : Style::Label);
  for (const Column& c : kColumns)
    labels.add(" ").add(pad_left(c.label, c.width), view.namespace_sort == c.sort ? Style::Title : Style::Label);
  out.lines.push_back(std::move(labels));
  if (rows.empty()) out.lines.push_back(text_line("  (no namespace found yet)", Style::Dim));
  const size_t highlighted = highlighted_row(rows, view.selected_netns);
  out.highlighted = out.lines.size() + highlighted;
  for (size_t i = 0; i < rows.size(); ++i) out.lines.push_back(row_line(rows[i], i == highlighted, name_cols, glyphs));
  return out;
}

}  // namespace tcpsight
