// The whole screen of `tcpsight top` for a terminal size: header, the panels (scrolled), footer.
// Pure: no terminal calls; the curses layer draws what this returns.
#pragma once

#include "top/glyphs.hpp"
#include "top/screen.hpp"
#include "top/top_frame.hpp"
#include "top/view_state.hpp"

namespace tcpsight {

// Below this the view says the terminal is too small instead of drawing.
inline constexpr TermSize kMinimumSize{72, 18};

struct LayoutOptions {
  const Glyphs* glyphs = &Glyphs::ascii();
};

// Exactly size.rows rows of exactly size.cols columns. view.scroll beyond the end shows the end.
Screen layout_screen(const TopFrame& frame, const ViewState& view, TermSize size, const LayoutOptions& options);

// What is shown instead of the panels when the terminal is smaller than kMinimumSize.
Screen too_small_screen(TermSize size);

}  // namespace tcpsight
