#include "top/view_state.hpp"

#include <algorithm>
#include <charconv>
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

}  // namespace

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

KeyEffect apply_key(ViewState& view, Key key, int page_rows) {
  if (view.prompting) return apply_prompt_key(view, key);
  const bool had_notice = !view.notice.empty();
  view.notice.clear();
  const int page = std::max(page_rows - 1, 1);
  switch (key.kind) {
    case Key::Kind::Up:
      view.scroll = std::max(view.scroll - 1, 0);
      return {false, true};
    case Key::Kind::Down:
      ++view.scroll;
      return {false, true};  // the layout clamps it
    case Key::Kind::PageUp:
      view.scroll = std::max(view.scroll - page, 0);
      return {false, true};
    case Key::Kind::PageDown:
      view.scroll += page;
      return {false, true};
    case Key::Kind::Home:
      view.scroll = 0;
      return {false, true};
    case Key::Kind::End:
      view.scroll = 1 << 20;
      return {false, true};
    case Key::Kind::Resize:
      return {false, true};
    case Key::Kind::Escape:
      view.help = false;
      return {false, true};
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
