#include "top/layout.hpp"

#include "core/snapshot_pacer.hpp"
#include "core/wall_clock.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "top/drill_query.hpp"
#include "top/human_units.hpp"
#include "top/panel_text.hpp"
#include "top/panels.hpp"

namespace tcpsight {

namespace {

constexpr int kHeaderRows = 2, kFooterRows = 1;

// `left` clipped so that `right` fits at the end of a line of `cols` columns.
Line with_right(const Line& left, const Line& right, size_t cols) {
  const size_t right_cols = std::min(right.width(), cols);
  Line out = fit_line(left, cols - right_cols);
  const Line tail = fit_line(right, right_cols);
  out.spans.insert(out.spans.end(), tail.spans.begin(), tail.spans.end());
  return out;
}

Line restyled(Line line, Style style) {
  for (Span& s : line.spans) s.style = style;
  return line;
}

std::vector<Line> header(const TopFrame& f, const ViewState& view, size_t cols, const LayoutOptions& o) {
  const std::string sep = fmt::format(" {} ", o.glyphs->separator);
  Line first;
  first.add(fmt::format(" tcpsight top{}up {}{}host {}{}Linux {}{}netns {}", sep, human_uptime(f.uptime_s), sep,
                        f.host.hostname, sep, f.host.kernel, sep, f.host.netns));
  // The second row answers "is something wrong": trouble rates and lost events, on every screen.
  const double resets_per_s = f.resets_sent_per_s + f.resets_received_per_s;
  Line second;
  second.add(" " + local_hms(f.wall_time_s))
      .add(fmt::format("  sockets {}", f.sockets_total))
      .add("  retx ")
      .add(panel::rate_text(f, f.retransmits_per_s), panel::rate_style(f, f.retransmits_per_s, Style::Warn))
      .add("  resets ")
      .add(panel::rate_text(f, resets_per_s), panel::rate_style(f, resets_per_s, Style::Warn))
      .add("  events ")
      .add(panel::rate_text(f, f.events_per_s))
      .add("  ");
  if (f.events_lost)
    second.add(fmt::format(" LOST {} ", f.events_lost), Style::Alert);
  else
    second.add("lost 0", Style::Dim);
  // A namespace's snapshots come in rounds over every namespace: their age always matters there.
  if (f.netns_scoped || f.snapshot_age_s >= kStaleSnapshotSeconds)
    second.add(fmt::format("  snapshot {:.0f}s old", f.snapshot_age_s), Style::Dim);
  Line state;
  if (!view.playback.empty()) state.add(view.playback, Style::Alert);
  if (view.paused) state.add(" PAUSED ", Style::Alert);
  return {restyled(fit_line(first, cols), Style::Header), with_right(second, state, cols)};
}

Line footer(const ViewState& view, const Screen& screen, int scroll, size_t cols, const Glyphs& g) {
  if (view.prompting)
    return restyled(
        fit_line(Line{}.add(fmt::format(" search (port, pid, address, state, process): {}_   Enter applies, empty "
                                        "clears, Esc cancels",
                                        view.prompt_text)),
                 cols),
        Style::Header);
  Line keys;
  if (!view.notice.empty()) keys.add(" " + view.notice + " ", Style::Alert);
  const char* pause = view.paused ? "resume" : "pause";
  if (view.listing()) {
    keys.add(fmt::format(" q quit  p {}  s sort  Enter show  ? help  {}/PgUp/PgDn select", pause, g.up_down));
  } else if (view.page == Page::Overview) {
    keys.add(fmt::format(" q quit  p {}  s sort  / search  o processes  ? help  {} select  PgUp/PgDn scroll{}", pause,
                         g.up_down, view.namespaces ? "  Esc list" : ""));
    // What Enter opens: the highlighted row's sockets.
    if (const auto q = DrillQuery::parse(screen.selected))
      keys.add(fmt::format("  Enter: {}", q->title(g)));
  } else {
    keys.add(fmt::format(" q quit  p {}  s sort  / search  {}  Esc back  ? help  {}/PgUp/PgDn select", pause,
                         view.page == Page::Processes ? "Enter sockets" : "o processes", g.up_down));
  }
  Line where;
  if (screen.max_scroll > 0)
    where.add(fmt::format(" {}-{}/{} ", scroll + 1, scroll + screen.body_rows, screen.max_scroll + screen.body_rows));
  Line out = with_right(keys, where, cols);
  for (Span& s : out.spans)
    if (s.style != Style::Alert) s.style = Style::Header;
  return out;
}

std::vector<Line> panels(const TopFrame& f, const ViewState& view, TermSize size, const Glyphs& g,
                         std::vector<Selectable>* selectables) {
  const auto cols = static_cast<size_t>(size.cols);
  const int extra = std::max(size.rows - 24, 0);
  const auto listener_rows = static_cast<size_t>(3 + extra / 4);
  const auto table_rows = static_cast<size_t>(3 + extra / 4);

  const size_t left = std::clamp<size_t>(cols / 2 - 1, 36, 60);
  const size_t right = cols - left - 2;
  // The rows the arrows move through, panel by panel (a panel beside another: the left one first).
  const auto collect = [selectables](const std::vector<Line>& lines, size_t first_row) {
    for (size_t i = 0; i < lines.size(); ++i)
      if (std::string key = lines[i].key(); !key.empty())
        selectables->push_back({std::move(key), static_cast<int>(first_row + i)});
  };
  const std::vector<Line> states = states_panel(f, left, g), transitions = transitions_panel(f, right, g);
  collect(states, 0);
  collect(transitions, 0);
  std::vector<Line> body = beside(states, left, transitions);
  body.emplace_back();
  const auto append = [&body, &collect](std::vector<Line> lines) {
    collect(lines, body.size());
    for (Line& l : lines) body.push_back(std::move(l));
  };
  if (cols >= 160) {  // wide: half-open and TIME_WAIT side by side
    const size_t half = (cols - 2) / 2;
    // The merged rows' keys are the half-open panel's: TIME_WAIT has no selectable rows.
    append(beside(half_open_panel(f, view, half, listener_rows, g), half,
                  time_wait_panel(f, cols - half - 2, table_rows, g)));
  } else {
    append(half_open_panel(f, view, cols, listener_rows, g));
    body.emplace_back();
    append(time_wait_panel(f, cols, table_rows, g));
  }
  body.emplace_back();
  // The flow table takes the rows left over, and at least a few.
  const int body_rows = size.rows - kHeaderRows - kFooterRows;
  const int left_over = body_rows - static_cast<int>(body.size()) - 3;
  append(trouble_panel(f, view, cols, static_cast<size_t>(std::max(left_over, 5)), g));
  return body;
}

// The key of the row to highlight: `chosen` when it is on screen, else the first row (when
// `fallback`), else none.
std::string highlighted(const std::vector<Selectable>& selectables, const std::string& chosen, bool fallback) {
  for (const Selectable& s : selectables)
    if (s.key == chosen) return chosen;
  return fallback && !selectables.empty() ? selectables.front().key : std::string();
}

}  // namespace

Screen too_small_screen(TermSize size) {
  Screen s;
  const auto cols = static_cast<size_t>(std::max(size.cols, 1));
  const std::string message = fmt::format(
      "Terminal too small: {}x{}. tcpsight top needs at least {}x{}. Enlarge the window, or use "
      "`tcpsight stats` for plain text. q quits.",
      size.cols, size.rows, kMinimumSize.cols, kMinimumSize.rows);
  const std::vector<std::string> lines = wrap_words(message, cols);
  const int top = std::max((size.rows - static_cast<int>(lines.size())) / 2, 0);
  for (int r = 0; r < size.rows; ++r) {
    const int i = r - top;
    Line l;
    if (i >= 0 && i < static_cast<int>(lines.size())) {
      const std::string& text = lines[static_cast<size_t>(i)];
      l.add(std::string((cols - std::min(display_width(text), cols)) / 2, ' ')).add(text, Style::Warn);
    }
    s.rows.push_back(fit_line(l, cols));
  }
  return s;
}

Screen layout_screen(const TopFrame& frame, const ViewState& view, TermSize size, const LayoutOptions& options) {
  if (size.cols < kMinimumSize.cols || size.rows < kMinimumSize.rows) return too_small_screen(size);
  const auto cols = static_cast<size_t>(size.cols);
  const Glyphs& g = *options.glyphs;

  Screen screen;
  screen.body_rows = size.rows - kHeaderRows - kFooterRows;
  std::vector<Line> body;
  int scroll = view.scroll;
  if (view.help) {
    body = help_panel(cols, g);
  } else if (view.listing()) {
    ListLines list = namespaces_panel(frame, view, cols, g);
    // The highlighted row stays in sight: the list scrolls as little as that takes.
    const int highlighted = static_cast<int>(list.highlighted);
    scroll = std::clamp(scroll, highlighted - screen.body_rows + 1, highlighted);
    body = std::move(list.lines);
  } else if (view.page == Page::Overview) {
    body = panels(frame, view, size, g, &screen.selectables);
    // Nothing is highlighted until an arrow is pressed; then the highlight is a row on screen.
    screen.selected = highlighted(screen.selectables, view.selected_here(), !view.selected_here().empty());
    for (Line& l : body)
      for (Span& sp : l.spans)
        if (!sp.key.empty() && sp.key == screen.selected) sp.style = Style::Selected;
  } else {
    // The lists always have a highlighted row: the one chosen, else the first.
    ViewState shown = view;
    const auto list = [&](const ViewState& v) {
      return v.page == Page::Sockets ? sockets_panel(frame, v, cols, g) : processes_panel(frame, v, cols, g);
    };
    body = list(view);
    for (size_t i = 0; i < body.size(); ++i)
      if (std::string key = body[i].key(); !key.empty()) screen.selectables.push_back({key, static_cast<int>(i)});
    screen.selected = highlighted(screen.selectables, view.selected_here(), true);
    if (screen.selected != view.selected_here()) {
      shown.selected_here() = screen.selected;
      body = list(shown);
    }
  }
  screen.max_scroll = std::max(static_cast<int>(body.size()) - screen.body_rows, 0);
  if (view.follow && !view.listing() && !view.help)
    for (const Selectable& sel : screen.selectables)
      if (sel.key == screen.selected) scroll = std::clamp(scroll, sel.row - screen.body_rows + 1, sel.row);
  scroll = std::clamp(scroll, 0, screen.max_scroll);
  screen.scroll = scroll;

  screen.rows = header(frame, view, cols, options);
  for (int r = 0; r < screen.body_rows; ++r) {
    const auto i = static_cast<size_t>(scroll + r);
    screen.rows.push_back(fit_line(i < body.size() ? body[i] : Line{}, cols));
  }
  screen.rows.push_back(footer(view, screen, scroll, cols, g));
  return screen;
}

}  // namespace tcpsight
