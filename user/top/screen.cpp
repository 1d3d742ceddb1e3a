#include "top/screen.hpp"

#include <algorithm>
#include <utility>

namespace tcpsight {

namespace {
bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace

Line& Line::add(std::string_view text, Style style) {
  if (!text.empty()) spans.push_back({std::string(text), style, {}});
  return *this;
}

Line& Line::select_as(const std::string& key) {
  for (Span& s : spans) s.key = key;
  return *this;
}

std::string Line::key() const {
  for (const Span& s : spans)
    if (!s.key.empty()) return s.key;
  return {};
}

size_t Line::width() const {
  size_t w = 0;
  for (const Span& s : spans) w += display_width(s.text);
  return w;
}

std::string Line::text() const {
  std::string out;
  for (const Span& s : spans) out += s.text;
  return out;
}

std::string Screen::text() const {
  std::string out;
  for (const Line& l : rows) out += l.text() + "\n";
  return out;
}

size_t display_width(std::string_view utf8) {
  return static_cast<size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) { return !is_continuation(c); }));
}

std::string clip(std::string_view utf8, size_t cols) {
  size_t used = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    if (is_continuation(utf8[i])) continue;
    if (used == cols) return std::string(utf8.substr(0, i));
    ++used;
  }
  return std::string(utf8);
}

std::string pad_right(std::string_view utf8, size_t cols) {
  std::string s = clip(utf8, cols);
  s.append(cols - display_width(s), ' ');
  return s;
}

std::string pad_left(std::string_view utf8, size_t cols) {
  std::string s = clip(utf8, cols);
  return std::string(cols - display_width(s), ' ') + s;
}

std::string shorten_middle(std::string_view utf8, size_t cols, std::string_view ellipsis) {
  const size_t width = display_width(utf8), mark = display_width(ellipsis);
  if (width <= cols) return std::string(utf8);
  if (cols <= mark) return clip(utf8, cols);
  const size_t keep = cols - mark, head = keep / 2, tail = keep - head;
  // The tail starts `tail` code points before the end.
  size_t start = utf8.size();
  for (size_t seen = 0; start > 0 && seen < tail;)
    if (!is_continuation(utf8[--start])) ++seen;
  return clip(utf8, head) + std::string(ellipsis) + std::string(utf8.substr(start));
}

Line fit_line(const Line& line, size_t cols) {
  Line out;
  size_t used = 0;
  for (const Span& s : line.spans) {
    if (used == cols) break;
    std::string text = clip(s.text, cols - used);
    used += display_width(text);
    out.add(text, s.style);
    if (!text.empty()) out.spans.back().key = s.key;
  }
  if (used < cols) out.add(std::string(cols - used, ' '));
  return out;
}

std::vector<Line> beside(const std::vector<Line>& left, size_t left_cols, const std::vector<Line>& right, size_t gap) {
  std::vector<Line> out;
  const size_t n = std::max(left.size(), right.size());
  for (size_t i = 0; i < n; ++i) {
    Line row = fit_line(i < left.size() ? left[i] : Line{}, left_cols);
    row.add(std::string(gap, ' '));
    if (i < right.size()) row.spans.insert(row.spans.end(), right[i].spans.begin(), right[i].spans.end());
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<std::string> wrap_words(std::string_view text, size_t cols) {
  std::vector<std::string> lines;
  std::string current;
  size_t pos = 0;
  cols = std::max<size_t>(cols, 1);
  while (pos < text.size()) {
    const size_t start = text.find_first_not_of(' ', pos);
    if (start == std::string_view::npos) break;
    const size_t end = std::min(text.find(' ', start), text.size());
    std::string_view word = text.substr(start, end - start);
    pos = end;
    while (display_width(word) > cols) {  // a word longer than a line is cut
      if (!current.empty()) lines.push_back(std::move(current)), current.clear();
      const std::string head = clip(word, cols);
      lines.push_back(head);
      word.remove_prefix(head.size());
    }
    if (word.empty()) continue;
    if (current.empty())
      current = word;
    else if (display_width(current) + 1 + display_width(word) <= cols)
      current += " " + std::string(word);
    else
      lines.push_back(std::exchange(current, std::string(word)));
  }
  if (!current.empty()) lines.push_back(std::move(current));
  return lines;
}

}  // namespace tcpsight
