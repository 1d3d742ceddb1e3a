#include "top/panel_text.hpp"

#include "top/human_units.hpp"

namespace tcpsight::panel {

std::string rate_text(const TopFrame& f, double per_s) { return f.has_rates ? human_rate(per_s) : "-"; }

std::string endpoint_text(const IpAddress& a, uint16_t port, size_t cols, const Glyphs& g) {
  return shorten_middle(format_endpoint(a, port), cols, g.ellipsis);
}

}  // namespace tcpsight::panel
