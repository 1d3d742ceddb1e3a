#include "top/view_state.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <utility>

namespace tcpsight {

namespace {

constexpr size_t kMaxFilterChars = 64;

KeyEffect apply_prompt_key(ViewState& view, Key key) {
  switch (key.kind) {
    case Key::Kind::Escape:
      view.prompting = false;
      view.prompt_text.clear();
      return {false, true};
    case Key::Kind::Backspace:
      if (!view.prompt_text.empty()) view.prompt_text.pop_back();
      return {false, true};
    case Key::Kind::Enter:
      view.prompting = false;
      view.filter = std::exchange(view.prompt_text, {});  // empty clears it
      view.scroll = 0;
      return {false, true};
    case Key::Kind::Char:
      // Printable ASCII only: what addresses, ports, state and process names are typed with.
      if (key.ch >= 0x20 && key.ch < 0x7f && view.prompt_text.size() < kMaxFilterChars) view.prompt_text += key.ch;
      return {false, true};
    case Key::Kind::Resize:
      return {false, true};
    default:
      return {};
  }
}

// The layout clamps the scroll to the end of the body.
constexpr int kScrollEnd = 1 << 20;

// Where a movement key (arrows, PgUp/PgDn, Home/End) takes a position in 0..last: the scroll
// offset, or the highlighted row of the namespaces list. nullopt: not a movement key.
std::optional<int> moved(Key::Kind kind, int position, int page, int last) {
  int to = 0;
  switch (kind) {
    case Key::Kind::Up:
      to = position - 1;
      break;
    case Key::Kind::Down:
      to = position + 1;
      break;
    case Key::Kind::PageUp:
      to = position - page;
      break;
    case Key::Kind::PageDown:
      to = position + page;
      break;
    case Key::Kind::Home:
      to = 0;
      break;
    case Key::Kind::End:
      to = last;
      break;
    default:
      return std::nullopt;
  }
  return std::clamp(to, 0, last);
}

// top -A's list: the movement keys move the highlight, Enter shows its namespace in full, `s`
// sorts the list. nullopt: a key the list leaves to the rest of the view.
std::optional<KeyEffect> apply_list_key(ViewState& view, Key key, int page, std::span<const uint32_t> listed) {
  if (!view.listing() || view.help) return std::nullopt;
  const auto at = std::find(listed.begin(), listed.end(), view.selected_netns);
  const int current = at == listed.end() ? 0 : static_cast<int>(at - listed.begin());
  if (const auto to = moved(key.kind, current, page, std::max(static_cast<int>(listed.size()) - 1, 0))) {
    if (!listed.empty()) view.selected_netns = listed[static_cast<size_t>(*to)];
    return KeyEffect{false, true};
  }
  if (key.kind == Key::Kind::Enter) {
    if (listed.empty()) return KeyEffect{};
    view.selected_netns = listed[static_cast<size_t>(current)];
    view.drilled = view.selected_netns;
    view.scroll = 0;
    return KeyEffect{false, true};
  }
  if (key.kind == Key::Kind::Char && (key.ch == 's' || key.ch == 'S')) {
    view.namespace_sort = static_cast<NamespaceSort>((static_cast<int>(view.namespace_sort) + 1) % kNamespaceSorts);
    return KeyEffect{false, true};
  }
  return std::nullopt;
}

// The full view's pages: the arrows move the highlight through the rows on screen, Enter opens
// the sockets behind it, `o` shows the processes, `s` sorts the page. nullopt: a key for the rest.
std::optional<KeyEffect> apply_page_key(ViewState& view, Key key, int page, std::span<const std::string> selectables) {
  if (view.listing() || view.help) return std::nullopt;
  std::string& selected = view.selected_here();
  const auto at = std::find(selectables.begin(), selectables.end(), selected);
  const int current = at == selectables.end() ? -1 : static_cast<int>(at - selectables.begin());
  const bool arrows = key.kind == Key::Kind::Up || key.kind == Key::Kind::Down;
  // The lists of a page move by the highlight; the overview pages by scrolling.
  const bool moves_highlight = arrows || view.page != Page::Overview;
  if (!selectables.empty() && moves_highlight) {
    const int last = static_cast<int>(selectables.size()) - 1;
    // Nothing highlighted yet: the first press highlights the first row.
    const int from = current < 0 ? (key.kind == Key::Kind::Down ? -1 : 0) : current;
    if (const auto to = moved(key.kind, from, page, last)) {
      selected = selectables[static_cast<size_t>(std::clamp(*to, 0, last))];
      view.follow = true;
      return KeyEffect{false, true};
    }
  }
  if (key.kind == Key::Kind::Enter) {
    if (current < 0 && selectables.empty()) return KeyEffect{};
    const std::string chosen = current < 0 ? selectables.front() : selected;
    if (view.page == Page::Sockets) return KeyEffect{};  // a socket's row is all there is to see
    view.sockets_from = view.page;
    view.drill = chosen;
    view.page = Page::Sockets;
    view.selected_here().clear();
    view.scroll = 0;
    view.follow = false;
    return KeyEffect{false, true};
  }
  if (key.kind == Key::Kind::Char && (key.ch == 'o' || key.ch == 'O')) {
    view.page = view.page == Page::Processes ? Page::Overview : Page::Processes;
    view.scroll = 0;
    view.follow = true;
    return KeyEffect{false, true};
  }
  if (key.kind == Key::Kind::Char && (key.ch == 's' || key.ch == 'S')) {
    if (view.page == Page::Sockets)
      view.socket_sort = static_cast<SocketSort>((static_cast<int>(view.socket_sort) + 1) % kSocketSorts);
    else if (view.page == Page::Processes)
      view.process_sort = static_cast<ProcessSort>((static_cast<int>(view.process_sort) + 1) % kProcessSorts);
    else
      return std::nullopt;
    return KeyEffect{false, true};
  }
  return std::nullopt;
}

// Esc and Backspace on the drill-down or the processes go back where they came from.
bool leave_page(ViewState& view) {
  if (view.page == Page::Overview) return false;
  view.page = view.page == Page::Sockets ? view.sockets_from : Page::Overview;
  view.scroll = 0;
  view.follow = true;
  return true;
}

// Esc and Backspace in a namespace shown in full go back to the list (top -A; --netns has none).
bool leave_namespace(ViewState& view) {
  if (!view.namespaces || !view.drilled) return false;
  view.drilled.reset();
  view.scroll = 0;
  return true;
}

// The name of an enum's value in a table of names in its order; "?" outside it.
template <size_t N, class Enum>
std::string_view name_at(const std::string_view (&names)[N], Enum value) {
  const auto i = static_cast<size_t>(value);
  return i < N ? names[i] : "?";
}

}  // namespace

std::string_view namespace_sort_name(NamespaceSort sort) {
  static constexpr std::string_view kNames[] = {"sockets",       "ESTABLISHED", "TIME_WAIT",          "SYN_RECV",
                                                "retransmits/s", "resets/s",    "listen overflows/s", "name"};
  static_assert(std::size(kNames) == kNamespaceSorts, "a name for each NamespaceSort, in its order");
  return name_at(kNames, sort);
}

std::string_view socket_sort_name(SocketSort sort) {
  static constexpr std::string_view kNames[] = {"time in state", "Recv-Q", "Send-Q",  "RTT",
                                                "retransmits",   "local",  "remote", "process"};
  static_assert(std::size(kNames) == kSocketSorts, "a name for each SocketSort, in its order");
  return name_at(kNames, sort);
}

std::string_view process_sort_name(ProcessSort sort) {
  static constexpr std::string_view kNames[] = {"sockets",  "ESTABLISHED", "CLOSE_WAIT", "retransmits/s",
                                                "resets/s", "pid",         "name"};
  static_assert(std::size(kNames) == kProcessSorts, "a name for each ProcessSort, in its order");
  return name_at(kNames, sort);
}

std::string_view flow_sort_name(FlowSort sort) {
  switch (sort) {
    case FlowSort::Retransmits:
      return "retransmits";
    case FlowSort::Resets:
      return "resets";
    case FlowSort::Recent:
      return "most recent";
    case FlowSort::Remote:
      return "remote address";
  }
  return "?";
}

KeyEffect apply_key(ViewState& view, Key key, int page_rows, std::span<const uint32_t> listed,
                    std::span<const std::string> selectables) {
  if (view.prompting) return apply_prompt_key(view, key);
  const bool had_notice = !view.notice.empty();
  view.notice.clear();
  const int page = std::max(page_rows - 1, 1);
  if (const auto effect = apply_list_key(view, key, page, listed)) return *effect;
  if (const auto effect = apply_page_key(view, key, page, selectables)) return *effect;
  if (const auto to = moved(key.kind, view.scroll, page, kScrollEnd)) {
    view.scroll = *to;
    view.follow = false;
    return {false, true};
  }
  switch (key.kind) {
    case Key::Kind::Resize:
      return {false, true};
    case Key::Kind::Escape:
      if (!std::exchange(view.help, false) && !leave_page(view)) leave_namespace(view);
      return {false, true};
    case Key::Kind::Backspace:
      return {false, leave_page(view) || leave_namespace(view) || had_notice};
    case Key::Kind::Char:
      break;
    default:
      return {false, had_notice};
  }
  switch (key.ch) {
    case 'q':
    case 'Q':
      return {true, false};
    case 'p':
    case 'P':
      view.paused = !view.paused;
      return {false, true};
    case 's':
    case 'S':
      view.sort = static_cast<FlowSort>((static_cast<int>(view.sort) + 1) % kFlowSorts);
      return {false, true};
    case 'f':
    case 'F':
    case '/':
      view.prompting = true;
      view.prompt_text = view.filter;  // to edit what is searched for
      view.help = false;
      return {false, true};
    case '?':
    case 'h':
      view.help = !view.help;
      view.scroll = 0;
      return {false, true};
    default:
      return {false, had_notice};
  }
}

}  // namespace tcpsight
