// What the person at the terminal chose: pause, sort, port filter, help, scroll position, and with
// -A the namespace highlighted or shown in full; and how keys change it. Pure: the curses layer
// translates its key codes into Key and calls apply_key.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tcpsight {

enum class FlowSort : uint8_t { Retransmits, Resets, Recent, Remote };
inline constexpr int kFlowSorts = 4;
std::string_view flow_sort_name(FlowSort sort);  // "retransmits", ...

// The columns of top -A's namespaces list, in the order `s` cycles them.
enum class NamespaceSort : uint8_t {
  Sockets, Established, TimeWait, SynRecv, Retransmits, Resets, ListenOverflows, Name
};
inline constexpr int kNamespaceSorts = 8;
std::string_view namespace_sort_name(NamespaceSort sort);  // "sockets", "ESTABLISHED", ...

// The screens of the full view: the overview panels, the sockets behind a selected row (the
// drill-down), and the processes holding sockets.
enum class Page : uint8_t { Overview, Sockets, Processes };

// The columns the drill-down's sockets can be sorted by, in the order `s` cycles them.
enum class SocketSort : uint8_t { InState, RecvQ, SendQ, Rtt, Retransmits, Local, Remote, Process };
inline constexpr int kSocketSorts = 8;
std::string_view socket_sort_name(SocketSort sort);
// The processes view's columns, in the order `s` cycles them.
enum class ProcessSort : uint8_t { Sockets, Established, CloseWait, Retransmits, Resets, Pid, Name };
inline constexpr int kProcessSorts = 7;
std::string_view process_sort_name(ProcessSort sort);

struct Key {
  enum class Kind : uint8_t { Char, Up, Down, PageUp, PageDown, Home, End, Enter, Escape, Backspace, Resize };
  Kind kind = Kind::Char;
  char ch = 0;  // for Char
  static Key character(char c) { return {Kind::Char, c}; }
  static Key of(Kind k) { return {k, 0}; }
};

struct ViewState {
  bool paused = false;
  bool help = false;
  FlowSort sort = FlowSort::Retransmits;
  // `/`: what every list is searched for (SearchFilter: a port, state, address or process name).
  std::string filter;
  bool prompting = false;  // typing the filter
  std::string prompt_text;
  std::string notice;  // one-off message for the footer, e.g. a rejected port
  std::string playback;  // top -r: where the replay is and how fast, shown at the header's right
  int scroll = 0;      // first body row shown

  // top -A: the list of namespaces comes first; Enter shows the highlighted one in full.
  bool namespaces = false;
  NamespaceSort namespace_sort = NamespaceSort::Sockets;
  uint32_t selected_netns = 0;      // inode of the highlighted row; one not listed: the first row
  std::optional<uint32_t> drilled;  // inode shown in full (top -A after Enter, always with --netns)
  bool listing() const { return namespaces && !drilled; }

  Page page = Page::Overview;
  Page sockets_from = Page::Overview;  // where Esc leaves the drill-down for
  std::string drill;                   // what the drill-down lists: a DrillQuery key
  // The highlighted row of each page (a Span::key); one not on screen: the first row.
  std::string selected[3];
  bool follow = false;  // the scroll keeps the highlight in sight (the arrows moved it)
  SocketSort socket_sort = SocketSort::InState;
  ProcessSort process_sort = ProcessSort::Sockets;
  std::string& selected_here() { return selected[static_cast<int>(page)]; }
  const std::string& selected_here() const { return selected[static_cast<int>(page)]; }
};

struct KeyEffect {
  bool quit = false;
  bool changed = false;  // the screen must be drawn again
};

// `page_rows`: how many body rows one PgUp/PgDn moves (the visible body height). `listed`: the
// inodes of the namespaces list in display order (top -A), which the arrows move through.
// `selectables`: the keys of the rows on screen the arrows highlight, in order (Screen).
KeyEffect apply_key(ViewState& view, Key key, int page_rows, std::span<const uint32_t> listed = {},
                    std::span<const std::string> selectables = {});

}  // namespace tcpsight
