// `tcpsight top`, TIME_WAIT panel: count, lifetimes, remote hosts, ephemeral port share.
#include <fmt/format.h>

#include <algorithm>

#include "top/human_units.hpp"
#include "top/panel_text.hpp"
#include "top/panels.hpp"

namespace tcpsight {

using namespace panel;

namespace {

Line histogram_line(const TimeWaitCensus& tw, const Glyphs& glyphs) {
  const uint64_t tallest = *std::max_element(tw.remaining_histogram.begin(), tw.remaining_histogram.end());
  std::string spark;
  for (uint64_t n : tw.remaining_histogram) {
    const std::string_view cell = level(tallest ? static_cast<double>(n) / static_cast<double>(tallest) : 0, glyphs);
    spark += std::string(cell) + std::string(cell);
  }
  const int span_s = TimeWaitCensus::kBucketSeconds * static_cast<int>(tw.remaining_histogram.size());
  return Line{}
      .add("lifetime left  ", Style::Label)
      .add("0s ")
      .add(spark, Style::Bar)
      .add(fmt::format(" {}s", span_s))
      .add(fmt::format("  ({} s per bar, tallest {})", TimeWaitCensus::kBucketSeconds,
                       human_count(static_cast<double>(tallest))),
           Style::Dim);
}

std::vector<Line> peers_table(const TopFrame& frame, size_t cols, size_t rows, const Glyphs& glyphs) {
  constexpr size_t kNumber = 8;
  const size_t addr_cols = cols > kNumber + 1 ? cols - kNumber - 1 : 1;
  std::vector<Line> out;
  out.push_back(text_line("TIME_WAIT BY REMOTE HOST", Style::Title));
  out.push_back(Line{}
                    .add(pad_right("remote", addr_cols), Style::Label)
                    .add(" ")
                    .add(pad_left("sockets", kNumber), Style::Label));
  const auto& peers = frame.time_wait.top_peers;
  if (peers.empty()) out.push_back(text_line("(none)", Style::Dim));
  for (size_t i = 0; i < peers.size() && i < rows; ++i)
    out.push_back(
        Line{}
            .add(pad_right(shorten_middle(format_address(peers[i].addr), addr_cols, glyphs.ellipsis), addr_cols))
            .add(" ")
            .add(pad_left(std::to_string(peers[i].sockets), kNumber)));
  return out;
}

std::vector<Line> ephemeral_table(const TopFrame& frame, size_t cols, size_t rows, const Glyphs& glyphs) {
  constexpr size_t kNumber = 7, kShare = 7;
  std::vector<Line> out;
  if (!frame.port_range) {
    out.push_back(text_line("EPHEMERAL PORTS", Style::Title));
    // top -A and --netns keep censuses, not the records the share is counted from.
    out.push_back(text_line(frame.netns_scoped ? "(not counted per namespace: run top inside it)"
                                               : "(net.ipv4.ip_local_port_range unreadable)",
                            Style::Dim));
    return out;
  }
  const PortRange& range = *frame.port_range;
  out.push_back(Line{}
                    .add("EPHEMERAL PORTS IN USE", Style::Title)
                    .add(fmt::format(" of {}-{} ({})", range.low, range.high, range.size()), Style::Dim));
  const size_t fixed = 3 * (kNumber + 1) + 6;
  const size_t dest_cols = std::clamp<size_t>(cols > fixed ? cols - fixed : 0, 14, kAddressColumns);
  const size_t bar_cols = cols > dest_cols + 3 * (kNumber + 1) + 1 ? cols - dest_cols - 3 * (kNumber + 1) - 1 : 0;
  out.push_back(Line{}
                    .add(pad_right("to destination", dest_cols), Style::Label)
                    .add(" ")
                    .add(pad_left("ports", kNumber), Style::Label)
                    .add(" ")
                    .add(pad_left("in TW", kNumber), Style::Label)
                    .add(" ")
                    .add(pad_left("share", kShare), Style::Label));
  if (frame.destinations.empty()) out.push_back(text_line("(none)", Style::Dim));
  for (size_t i = 0; i < frame.destinations.size() && i < rows; ++i) {
    const DestinationPorts& d = frame.destinations[i];
    const Style risk = d.share >= 0.8 ? Style::Alert : d.share >= 0.5 ? Style::Warn : Style::Normal;
    out.push_back(Line{}
                      .add(pad_right(endpoint_text(d.addr, d.port, dest_cols, glyphs), dest_cols))
                      .add(" ")
                      .add(pad_left(std::to_string(d.ports_in_use), kNumber))
                      .add(" ")
                      .add(pad_left(std::to_string(d.time_wait), kNumber), Style::Dim)
                      .add(" ")
                      .add(pad_left(fmt::format("{:.1f}%", d.share * 100), kShare), risk)
                      .add(" ")
                      .add(bar(d.share, bar_cols, glyphs), risk == Style::Normal ? Style::Bar : risk));
  }
  return out;
}

}  // namespace

std::vector<Line> time_wait_panel(const TopFrame& frame, size_t cols, size_t table_rows, const Glyphs& glyphs) {
  const TimeWaitCensus& tw = frame.time_wait;
  std::vector<Line> out;
  out.push_back(
      Line{}
          .add("TIME_WAIT", Style::Title)
          .add("  " + std::to_string(tw.count), quiet_unless(tw.count > 0))
          .add("  entered ")
          .add(rate_text(frame, frame.time_wait_entered_per_s), rate_style(frame, frame.time_wait_entered_per_s))
          .add(tw.count
                   ? fmt::format("  left min {}  p50 {}  max {}", human_duration(tw.remaining_seconds.min),
                                 human_duration(tw.remaining_seconds.p50), human_duration(tw.remaining_seconds.max))
                   : "",
               Style::Dim));
  out.push_back(histogram_line(tw, glyphs));

  if (cols >= 70) {  // the two tables side by side
    const size_t left = std::clamp<size_t>(cols * 2 / 5, 26, kAddressColumns + 9);
    for (Line& l : beside(peers_table(frame, left, table_rows, glyphs), left,
                          ephemeral_table(frame, cols - left - 2, table_rows, glyphs)))
      out.push_back(std::move(l));
  } else {
    for (Line& l : peers_table(frame, cols, table_rows, glyphs)) out.push_back(std::move(l));
    for (Line& l : ephemeral_table(frame, cols, table_rows, glyphs)) out.push_back(std::move(l));
  }
  return out;
}

}  // namespace tcpsight
