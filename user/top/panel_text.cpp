#include "top/panel_text.hpp"

#include "top/human_units.hpp"

namespace tcpsight::panel {

std::string rate_text(const TopFrame& f, double per_s) { return f.has_rates ? human_rate(per_s) : "-"; }

std::string endpoint_text(const IpAddress& a, uint16_t port, size_t cols, const Glyphs& g) {
  return shorten_middle(format_endpoint(a, port), cols, g.ellipsis);
}

std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c < 0x20 || c > 0x7e) c = '?';
  return out;
}

}  // namespace tcpsight::panel
