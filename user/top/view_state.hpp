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
std::string_view flow_sort_name(FlowSort sort);  // "retransmits", ...

// The columns of top -A's namespaces list, in the order `s` cycles them.
enum class NamespaceSort : uint8_t {
  Sockets, Established, TimeWait, SynRecv, Retransmits, Resets, ListenOverflows, Name
};
inline constexpr int kNamespaceSorts = 8;
std::string_view namespace_sort_name(NamespaceSort sort);  // "sockets", "ESTABLISHED", ...

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
  std::optional<uint16_t> port_filter;  // flows and listeners with this local or remote port
  bool prompting = false;               // typing a port for the filter
  std::string prompt_text;
  std::string notice;  // one-off message for the footer, e.g. a rejected port
  int scroll = 0;      // first body row shown

  // top -A: the list of namespaces comes first; Enter shows the highlighted one in full.
  bool namespaces = false;
  NamespaceSort namespace_sort = NamespaceSort::Sockets;
  uint32_t selected_netns = 0;      // inode of the highlighted row; one not listed: the first row
  std::optional<uint32_t> drilled;  // inode shown in full (top -A after Enter, always with --netns)
  bool listing() const { return namespaces && !drilled; }
};

struct KeyEffect {
  bool quit = false;
  bool changed = false;  // the screen must be drawn again
};

// `page_rows`: how many body rows one PgUp/PgDn moves (the visible body height). `listed`: the
// inodes of the namespaces list in display order (top -A), which the arrows move through.
KeyEffect apply_key(ViewState& view, Key key, int page_rows, std::span<const uint32_t> listed = {});

}  // namespace tcpsight
