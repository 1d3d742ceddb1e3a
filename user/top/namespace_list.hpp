// The rows of top -A's namespaces list: the view's sort applied to the frame's rows, and which
// row is highlighted. Shared by the panel that draws the list and the keys that move through it.
#pragma once

#include <cstdint>
#include <vector>

#include "top/top_frame.hpp"
#include "top/view_state.hpp"

namespace tcpsight {

// Largest first for a count or rate, A to Z for the name; ties by name, then inode, so that rows
// of equal figures do not swap places from one refresh to the next.
std::vector<NamespaceRow> sort_namespaces(std::vector<NamespaceRow> rows, NamespaceSort sort);
// Their inodes, in the same order: what apply_key moves the highlight through.
std::vector<uint32_t> inodes_of(const std::vector<NamespaceRow>& rows);
// The index of the highlighted row: the one of `selected_netns`, else the first.
size_t highlighted_row(const std::vector<NamespaceRow>& rows, uint32_t selected_netns);

}  // namespace tcpsight
