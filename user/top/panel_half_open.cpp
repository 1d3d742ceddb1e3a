// `tcpsight top`, HALF-OPEN panel: SYN_SENT/SYN_RECV, the kernel's listen counters, listener queues.
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "top/drill_query.hpp"
#include "top/panel_text.hpp"
#include "top/search_filter.hpp"
#include "top/panels.hpp"

namespace tcpsight {

using namespace panel;

std::vector<Line> half_open_panel(const TopFrame& frame, const ViewState& view, size_t cols, size_t listener_rows,
                                  const Glyphs& glyphs) {
  std::vector<Line> out;
  out.push_back(Line{}
                    .add("HALF-OPEN", Style::Title)
                    .add("  SYN_SENT ")
                    .add(std::to_string(frame.syn_sent), quiet_unless(frame.syn_sent > 0))
                    .add("  SYN_RECV ")
                    .add(std::to_string(frame.syn_recv), quiet_unless(frame.syn_recv > 0))
                    .add(fmt::format(" ({} half-open)", frame.request_sockets), Style::Dim)
                    .add("  SYN-ACK retransmits ")
                    .add(rate_text(frame, frame.synack_retransmits_per_s),
                         rate_style(frame, frame.synack_retransmits_per_s, Style::Warn)));
  if (frame.kernel_counters_known) {
    Line k;
    k.add("kernel", Style::Label);
    for (const auto& [name, per_s] :
         {std::pair{"ListenOverflows", frame.listen_overflows_per_s},
          std::pair{"ListenDrops", frame.listen_drops_per_s}, std::pair{"SyncookiesSent", frame.syncookies_sent_per_s}})
      k.add(fmt::format("  {} ", name)).add(rate_text(frame, per_s), rate_style(frame, per_s, Style::Warn));
    out.push_back(std::move(k));
  } else {
    out.push_back(text_line("kernel listen counters unavailable (/proc/net/netstat)", Style::Dim));
  }

  constexpr size_t kSyn = 7, kAccept = 17, kFill = 12, kFlag = 18;
  const size_t fixed = 1 + kSyn + 1 + kAccept + 1 + kFill + 1 + kFlag;
  const size_t addr_cols = std::clamp<size_t>(cols > fixed ? cols - fixed : 0, 15, kAddressColumns);
  out.push_back(Line{}
                    .add(pad_right("LISTENER", addr_cols), Style::Label)
                    .add(" ")
                    .add(pad_left("SYN-Q", kSyn), Style::Label)
                    .add(" ")
                    .add(pad_left("ACCEPT-Q/BACKLOG", kAccept), Style::Label)
                    .add(" ")
                    .add("ACCEPT FILL", Style::Label));

  const SearchFilter filter(view.filter);
  std::vector<const ListenerRow*> shown;
  for (const ListenerRow& l : frame.listeners)
    if (filter.matches_endpoint(l.addr, l.port)) shown.push_back(&l);
  if (shown.empty())
    out.push_back(text_line(
        filter.empty() ? "(no listening sockets)" : fmt::format("(no listener matches \"{}\")", filter.text()),
        Style::Dim));
  for (size_t i = 0; i < shown.size() && i < listener_rows; ++i) {
    const ListenerRow& l = *shown[i];
    const double fill = l.max_backlog ? static_cast<double>(l.accept_queue) / l.max_backlog : 0;
    std::string flags;
    for (const auto& [on, text] :
         {std::pair{l.accept_queue_full, "ACCEPT QUEUE FULL"}, std::pair{l.syn_queue_full, "SYN QUEUE FULL"},
          std::pair{l.syn_queue_growing, "SYN FLOOD? queue growing"}})
      if (on) flags += (flags.empty() ? "" : ", ") + std::string(text);
    const bool syn_trouble = l.syn_queue_full || l.syn_queue_growing;
    out.push_back(
        Line{}
            .add(pad_right(endpoint_text(l.addr, l.port, addr_cols, glyphs), addr_cols))
            .add(" ")
            .add(pad_left(std::to_string(l.syn_queue), kSyn),
                 syn_trouble ? Style::Alert : quiet_unless(l.syn_queue > 0, Style::Warn))
            .add(" ")
            .add(pad_left(fmt::format("{}/{}", l.accept_queue, l.max_backlog), kAccept),
                 l.accept_queue_full ? Style::Alert : Style::Normal)
            .add(" [")
            .add(pad_right(bar(fill, kFill - 2, glyphs), kFill - 2), l.accept_queue_full ? Style::Alert : Style::Bar)
            .add("] ")
            .add(flags, Style::Alert)
            .select_as(DrillQuery::of_listener(l.addr, l.port).key()));
  }
  if (shown.size() > listener_rows)
    out.push_back(text_line(
        fmt::format("{} {} more listeners (/ searches)", glyphs.ellipsis, shown.size() - listener_rows),
        Style::Dim));
  return out;
}

}  // namespace tcpsight
