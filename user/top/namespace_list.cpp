#include "top/namespace_list.hpp"

#include <algorithm>
#include <tuple>

namespace tcpsight {

namespace {

// The figure a sort column orders by (the name column orders by name alone).
double figure(const NamespaceRow& r, NamespaceSort sort) {
  switch (sort) {
    case NamespaceSort::Sockets:
      return static_cast<double>(r.sockets);
    case NamespaceSort::Established:
      return static_cast<double>(r.established);
    case NamespaceSort::TimeWait:
      return static_cast<double>(r.time_wait);
    case NamespaceSort::SynRecv:
      return static_cast<double>(r.syn_recv);
    case NamespaceSort::Retransmits:
      return r.retransmits_per_s;
    case NamespaceSort::Resets:
      return r.resets_per_s;
    case NamespaceSort::ListenOverflows:
      return r.listen_overflows_per_s;
    case NamespaceSort::Name:
      return 0;
  }
  return 0;
}

}  // namespace

std::vector<NamespaceRow> sort_namespaces(std::vector<NamespaceRow> rows, NamespaceSort sort) {
  std::sort(rows.begin(), rows.end(), [sort](const NamespaceRow& a, const NamespaceRow& b) {
    const double fa = figure(a, sort), fb = figure(b, sort);
    if (fa != fb) return fa > fb;
    return std::tie(a.name, a.inode) < std::tie(b.name, b.inode);
  });
  return rows;
}

std::vector<uint32_t> inodes_of(const std::vector<NamespaceRow>& rows) {
  std::vector<uint32_t> out;
  out.reserve(rows.size());
  for (const NamespaceRow& r : rows) out.push_back(r.inode);
  return out;
}

size_t highlighted_row(const std::vector<NamespaceRow>& rows, uint32_t selected_netns) {
  const auto it =
      std::find_if(rows.begin(), rows.end(), [&](const NamespaceRow& r) { return r.inode == selected_netns; });
  return it == rows.end() ? 0 : static_cast<size_t>(it - rows.begin());
}

}  // namespace tcpsight
