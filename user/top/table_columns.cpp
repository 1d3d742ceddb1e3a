#include "top/table_columns.hpp"

#include <algorithm>
#include <numeric>

namespace tcpsight::panel {

std::vector<size_t> fitting_columns(const std::vector<TableColumn>& columns, size_t cols, size_t flexible,
                                    size_t* flexible_width) {
  std::vector<size_t> shown(columns.size());
  std::iota(shown.begin(), shown.end(), size_t{0});
  const auto needed = [&] {
    size_t n = 0;
    for (size_t i : shown) n += columns[i].width + 1;
    return n;
  };
  while (needed() > cols) {
    // The column of the highest priority number goes first; a tie: the rightmost.
    auto drop = shown.end();
    for (auto it = shown.begin(); it != shown.end(); ++it)
      if (columns[*it].priority > 0 && (drop == shown.end() || columns[*it].priority >= columns[*drop].priority))
        drop = it;
    if (drop == shown.end()) break;
    shown.erase(drop);
  }
  const size_t used = needed();
  *flexible_width = columns[flexible].width + (cols > used ? cols - used : 0);
  return shown;
}

Line table_row(const std::vector<TableColumn>& columns, const std::vector<size_t>& shown, size_t flexible,
               size_t flexible_width, const std::vector<std::string>& cells, const std::vector<Style>& styles) {
  Line l;
  for (size_t k = 0; k < shown.size(); ++k) {
    const size_t i = shown[k];
    const size_t width = i == flexible ? flexible_width : columns[i].width;
    if (k) l.add(" ");
    l.add(columns[i].right ? pad_left(cells[i], width) : pad_right(cells[i], width), styles[i]);
  }
  return l;
}

}  // namespace tcpsight::panel
