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
      {"s", "cycle the sort: of the flow table (retransmits, resets, most recent, remote address; the "
            "last interval's trouble first), of the sockets list, of the processes view; in the namespaces "
            "list (top -A) its column"},
      {"/ f", "search every list (listeners, flows, sockets, processes) for a port or pid (digits), a "
              "state (close-wait), an address, or text in an address or process name; empty clears"},
      {"o", "the processes view: per process its sockets by state, listening ports, retransmits/s and "
            "resets/s on its sockets; again (or Esc) goes back"},
      {"?", "show or hide this help (Esc hides it)"},
      {std::string(glyphs.up_down), "move the highlight over states, transitions, listeners and flows, or "
                                    "down a list"},
      {"PgUp PgDn", "scroll (in a list: move a page); Home and End jump"},
      {"Enter", "list the sockets behind the highlighted row: 4-tuple, holder, time in state, Recv-Q/Send-Q, "
                "RTT, cwnd, retransmits, bytes (as ss -tip); in the processes view its sockets; top -A: "
                "show the highlighted namespace in full"},
      {"Esc Backspace", "back: from the sockets or processes, or (top -A) from a namespace to the list"},
      {"top -r", "p pause or play the recording, n one refresh on, ] and [ 10 s forward and back, 1 2 0 play "
                 "at 1x, 2x, 10x"},
  };
  const std::string notes[] = {
      "STATES: sockets per state from the kernel's socket iterator at each refresh; SYN_RECV includes "
      "half-open request sockets. TRANSITIONS: exact counts from the inet_sock_set_state tracepoint.",
      "HALF-OPEN: per listener the SYN queue (request sockets), the accept queue against the listen() "
      "backlog; the kernel counters come from /proc/net/netstat.",
      "TIME_WAIT: the iterator's count and remaining lifetimes; entries are inferred active closes. "
      "Ephemeral ports: local ports of net.ipv4.ip_local_port_range held toward each destination.",
      "TRANSITIONS lists every pair seen; the abnormal ones come first, marked whatever their rate: "
      "SYN_SENT->CLOSE (connect refused or timed out), SYN_RECV->CLOSE (handshake dropped), "
      "ESTABLISHED->CLOSE and CLOSE_WAIT->CLOSE (aborts), and \"rst\" rows, the closes from FIN_WAIT1, "
      "FIN_WAIT2, CLOSING or LAST_ACK that came after a reset.",
      "RETRANSMITS and RESETS: exact rates; the flow table lists the flows they happened on, with "
      "totals and the last interval's rate; flows whose socket closed leave it a minute later.",
      "SOCKETS (Enter): read from the kernel's socket iterator at each refresh while on screen; the "
      "holder is the process holding the socket's file (an owner scan right after); time in state is "
      "known when tcpsight saw the socket enter it ('?' otherwise), TIME_WAIT shows the time left.",
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
