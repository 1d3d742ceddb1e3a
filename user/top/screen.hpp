// A terminal screen as plain data: rows of styled text spans. The layout produces it, the curses
// layer draws it, unit tests read it. Text is UTF-8 with one column per code point (the layout only
// uses single-width characters).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tcpsight {

enum class Style : uint8_t {
  Normal,
  Header,  // the top and bottom bars
  Title,   // a panel's name
  Label,   // column headings
  Dim,     // zero, unknown, secondary
  Good,
  Warn,
  Alert,  // needs attention now (events lost, full queue)
  Bar,
  Selected,  // the highlighted row the arrows move and Enter opens
};

struct Span {
  std::string text;
  Style style = Style::Normal;
  // Non-empty on the spans of a row the arrows can select: what Enter opens ("state:8").
  std::string key;
  bool operator==(const Span&) const = default;
};

struct Line {
  std::vector<Span> spans;
  bool operator==(const Line&) const = default;

  Line& add(std::string_view text, Style style = Style::Normal);
  // Marks every span added so far as the selectable row `key`.
  Line& select_as(const std::string& key);
  std::string key() const;  // the first span's key, "" when the line has no selectable row
  size_t width() const;
  std::string text() const;  // the spans' text, unstyled
};

struct TermSize {
  int cols = 80, rows = 24;
};

// A row the arrows can highlight: its key and where it is in the body.
struct Selectable {
  std::string key;
  int row = 0;
  bool operator==(const Selectable&) const = default;
};

struct Screen {
  std::vector<Line> rows;  // exactly size.rows lines of exactly size.cols columns
  int body_rows = 0;       // rows of scrolled content visible at once (0: nothing scrolls)
  int max_scroll = 0;      // largest useful scroll offset
  int scroll = 0;          // the first body row shown (the view keeps it: the list follows its highlight)
  std::vector<Selectable> selectables;  // in the order the arrows move through them
  std::string selected;                 // the highlighted one's key ("" when none can be)
  bool operator==(const Screen&) const = default;
  std::string text() const;  // every row, newline-terminated: what a screen capture would show
};

// Columns a UTF-8 string takes (code points; continuation bytes take none).
size_t display_width(std::string_view utf8);
// The longest prefix that fits in `cols` columns, never splitting a code point.
std::string clip(std::string_view utf8, size_t cols);
// Clipped to `cols`, then padded with spaces on the right (pad_right) or left (pad_left).
std::string pad_right(std::string_view utf8, size_t cols);
std::string pad_left(std::string_view utf8, size_t cols);
// Fits a long name into `cols` by cutting its middle: "2001:db8:…:1]:443".
std::string shorten_middle(std::string_view utf8, size_t cols, std::string_view ellipsis);

// Clips a line to `cols` columns and pads it with spaces to exactly `cols`.
Line fit_line(const Line& line, size_t cols);
// Two columns side by side: each left line fitted to left_cols, then `gap` spaces, then the right line.
std::vector<Line> beside(const std::vector<Line>& left, size_t left_cols, const std::vector<Line>& right,
                         size_t gap = 2);
// Words wrapped into lines of at most `cols` columns (a longer word is cut).
std::vector<std::string> wrap_words(std::string_view text, size_t cols);

}  // namespace tcpsight
