// `tcpsight top`, the help screen.
#include <string>

#include "top/panel_text.hpp"
#include "top/panels.hpp"

namespace tcpsight {

using namespace panel;

std::vector<Line> help_panel(size_t cols, const Glyphs& glyphs) {
  const std::string keys[][2] = {
      {"q", "quit (also Ctrl-C)"},
      {"p", "pause: freeze the numbers on screen (measuring goes on)"},
      {"s", "cycle the sort of the flow table: retransmits, resets, most recent, remote address; in the "
            "namespaces list (top -A) the sort column: sockets, ESTABLISHED, TIME_WAIT, SYN_RECV, retransmits, "
            "resets, listen overflows, name"},
      {"f", "filter flows and listeners by port (prompt; empty clears)"},
      {"?", "show or hide this help (Esc hides it)"},
      {std::string(glyphs.up_down) + " PgUp PgDn",
       "scroll; Home and End jump; in the namespaces list, move the highlight"},
      {"Enter", "top -A: show the highlighted namespace in full (only its sockets, counters and flows)"},
      {"Esc Backspace", "top -A: back from a namespace to the list (Esc first hides this help)"},
  };
  const std::string notes[] = {
      "STATES: sockets per state from the kernel's socket iterator at each refresh; SYN_RECV includes "
      "half-open request sockets. TRANSITIONS: exact counts from the inet_sock_set_state tracepoint.",
      "HALF-OPEN: per listener the SYN queue (request sockets), the accept queue against the listen() "
      "backlog; the kernel counters come from /proc/net/netstat.",
      "TIME_WAIT: the iterator's count and remaining lifetimes; entries are inferred active closes. "
      "Ephemeral ports: local ports of net.ipv4.ip_local_port_range held toward each destination.",
      "RETRANSMITS and RESETS: exact rates; the flow table lists the flows they happened on.",
      "NAMESPACES (top -A): per network namespace its sockets and states from its own snapshot, its "
      "retransmits and resets per second from its own exact counters, and ovfl/s, the listen queue "
      "overflows of its own /proc/net/netstat (TcpExt.ListenOverflows); a namespace that vanished is "
      "marked gone and shows its final figures once more.",
  };
  std::vector<Line> out;
  out.push_back(text_line("KEYS", Style::Title));
  for (const auto& [key, what] : keys) {
    constexpr size_t kKeyColumn = 16;
    const auto wrapped = wrap_words(what, cols > kKeyColumn ? cols - kKeyColumn : 1);
    for (size_t i = 0; i < wrapped.size(); ++i)
      out.push_back(Line{}.add(pad_right(i ? "" : "  " + key, kKeyColumn), Style::Label).add(wrapped[i]));
  }
  out.push_back({});
  out.push_back(text_line("WHERE THE NUMBERS COME FROM", Style::Title));
  for (const std::string& note : notes) {
    for (const std::string& l : wrap_words(note, cols > 2 ? cols - 2 : 1)) out.push_back(text_line("  " + l));
  }
  return out;
}

}  // namespace tcpsight
