// A table whose columns drop out, least needed first, until it fits the terminal: the drill-down
// and the processes view show what `ss -tip` would on a wide terminal and the essentials on 72x18.
// Internal to user/top.
#pragma once

#include <string>
#include <vector>

#include "top/screen.hpp"

namespace tcpsight::panel {

struct TableColumn {
  std::string label;
  size_t width = 0;
  int priority = 0;  // lower stays longer; 0 never drops
  bool right = true;  // numbers are right-aligned
};

// Which columns fit in `cols` with one space between them, `flexible` (the index of a column that
// takes the space left, at least its width) included. Keeps the given order.
std::vector<size_t> fitting_columns(const std::vector<TableColumn>& columns, size_t cols, size_t flexible,
                                    size_t* flexible_width);

// One row: `cells[i]` for each column index in `shown`, padded to its width.
Line table_row(const std::vector<TableColumn>& columns, const std::vector<size_t>& shown, size_t flexible,
               size_t flexible_width, const std::vector<std::string>& cells, const std::vector<Style>& styles);

}  // namespace tcpsight::panel
