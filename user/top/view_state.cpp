#include "top/view_state.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <utility>

namespace tcpsight {

namespace {

constexpr size_t kMaxPortDigits = 5;

KeyEffect apply_prompt_key(ViewState& view, Key key) {
  switch (key.kind) {
    case Key::Kind::Escape:
      view.prompting = false;
      view.prompt_text.clear();
      return {false, true};
    case Key::Kind::Backspace:
      if (!view.prompt_text.empty()) view.prompt_text.pop_back();
      return {false, true};
    case Key::Kind::Enter: {
      view.prompting = false;
      const std::string text = std::exchange(view.prompt_text, {});
      if (text.empty()) {
        view.port_filter.reset();
        return {false, true};
      }
      unsigned port = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
      if (ec != std::errc{} || end != text.data() + text.size() || port == 0 || port > 65535)
        view.notice = "not a port: " + text;
      else
        view.port_filter = static_cast<uint16_t>(port);
      view.scroll = 0;
      return {false, true};
    }
    case Key::Kind::Char:
      if (key.ch >= '0' && key.ch <= '9' && view.prompt_text.size() < kMaxPortDigits) view.prompt_text += key.ch;
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

// Esc and Backspace in a namespace shown in full go back to the list (top -A; --netns has none).
bool leave_namespace(ViewState& view) {
  if (!view.namespaces || !view.drilled) return false;
  view.drilled.reset();
  view.scroll = 0;
  return true;
}

}  // namespace

std::string_view namespace_sort_name(NamespaceSort sort) {
  static constexpr std::string_view kNames[] = {"sockets",       "ESTABLISHED", "TIME_WAIT",          "SYN_RECV",
                                                "retransmits/s", "resets/s",    "listen overflows/s", "name"};
  static_assert(std::size(kNames) == kNamespaceSorts, "a name for each NamespaceSort, in its order");
  const auto i = static_cast<size_t>(sort);
  return i < std::size(kNames) ? kNames[i] : "?";
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

KeyEffect apply_key(ViewState& view, Key key, int page_rows, std::span<const uint32_t> listed) {
  if (view.prompting) return apply_prompt_key(view, key);
  const bool had_notice = !view.notice.empty();
  view.notice.clear();
  const int page = std::max(page_rows - 1, 1);
  if (const auto effect = apply_list_key(view, key, page, listed)) return *effect;
  if (const auto to = moved(key.kind, view.scroll, page, kScrollEnd)) {
    view.scroll = *to;
    return {false, true};
  }
  switch (key.kind) {
    case Key::Kind::Resize:
      return {false, true};
    case Key::Kind::Escape:
      if (!std::exchange(view.help, false)) leave_namespace(view);
      return {false, true};
    case Key::Kind::Backspace:
      return {false, leave_namespace(view) || had_notice};
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
      view.sort = static_cast<FlowSort>((static_cast<int>(view.sort) + 1) % 4);
      return {false, true};
    case 'f':
    case 'F':
    case '/':
      view.prompting = true;
      view.prompt_text.clear();
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
