// `tcpsight top`, STATES and TRANSITIONS panels.
#include <fmt/format.h>

#include <algorithm>

#include "core/tcp_state.hpp"
#include "top/drill_query.hpp"
#include "top/human_units.hpp"
#include "top/panel_text.hpp"
#include "top/panels.hpp"

namespace tcpsight {

using namespace panel;

namespace {

std::string transition_name(const TransitionRow& t, const Glyphs& g) {
  return std::string(state_name(t.from)) + std::string(g.arrow) + std::string(state_name(t.to)) +
         (t.after_reset ? " rst" : "");
}

}  // namespace

std::vector<Line> states_panel(const TopFrame& frame, size_t cols, const Glyphs& glyphs) {
  const size_t fixed = kStateName + 1 + kCount + 1 + kRate + 1;
  const size_t bar_cols = cols > fixed ? cols - fixed : 0;
  uint64_t largest = 0;
  for (const StateRow& s : frame.states) largest = std::max(largest, s.count);

  std::vector<Line> out;
  out.push_back(Line{}
                    .add(pad_right("STATES", kStateName + 1), Style::Title)
                    .add(pad_left("now", kCount), Style::Label)
                    .add(" ")
                    .add(pad_left("per sec", kRate), Style::Label));
  for (const StateRow& s : frame.states) {
    Line l;
    l.add(pad_right(state_name(s.state), kStateName), quiet_unless(s.count > 0))
        .add(" ")
        .add(pad_left(std::to_string(s.count), kCount), quiet_unless(s.count > 0))
        .add(" ")
        .add(pad_left(frame.has_rates ? human_signed_rate(s.change_per_s) : "-", kRate),
             quiet_unless(frame.has_rates && s.change_per_s != 0))
        .add(" ");
    if (largest) l.add(bar(static_cast<double>(s.count) / static_cast<double>(largest), bar_cols, glyphs), Style::Bar);
    out.push_back(std::move(l.select_as(DrillQuery::of_state(s.state).key())));
  }
  return out;
}

std::vector<Line> transitions_panel(const TopFrame& frame, size_t cols, const Glyphs& glyphs) {
  constexpr size_t kTransitionRate = 8;
  const size_t total_cols = cols >= 34 ? 6 : 0;
  const size_t fixed = kTransitionRate + (total_cols ? total_cols + 1 : 0);
  constexpr size_t kLongestName = 26;  // "ESTABLISHED->CLOSE_WAIT" and a little air
  const size_t name_cols = std::min(cols > fixed + 1 ? cols - fixed - 1 : 1, kLongestName);

  std::vector<Line> out;
  Line title;
  title.add(pad_right("TRANSITIONS", name_cols + 1), Style::Title)
      .add(pad_left("per sec", kTransitionRate), Style::Label);
  if (total_cols) title.add(" ").add(pad_left("total", total_cols), Style::Label);
  out.push_back(std::move(title));
  if (frame.transitions.empty()) out.push_back(text_line("(none since start)", Style::Dim));
  // Every pair, the abnormal ones first and marked whatever their rate: the body scrolls.
  for (const TransitionRow& t : frame.transitions) {
    const bool now = frame.has_rates && t.per_s > 0;
    const Style name_style = t.abnormal ? (now ? Style::Alert : Style::Warn) : quiet_unless(now);
    Line l;
    l.add(pad_right(transition_name(t, glyphs), name_cols), name_style)
        .add(" ")
        .add(pad_left(rate_text(frame, t.per_s), kTransitionRate), rate_style(frame, t.per_s, t.abnormal ? Style::Alert : Style::Normal));
    if (total_cols)
      l.add(" ").add(pad_left(human_count(static_cast<double>(t.total)), total_cols), t.abnormal ? Style::Warn : Style::Dim);
    out.push_back(std::move(l.select_as(DrillQuery::of_transition(t.from, t.to, t.after_reset).key())));
  }
  return out;
}

}  // namespace tcpsight
