// Helpers the panels share: how rates, quiet values and endpoints are written. Internal to user/top.
#pragma once

#include <string>
#include <string_view>

#include "core/address.hpp"
#include "top/glyphs.hpp"
#include "top/screen.hpp"
#include "top/top_frame.hpp"

namespace tcpsight::panel {

inline constexpr size_t kStateName = 11, kCount = 9, kRate = 9;
inline constexpr size_t kAddressColumns = 32;
// The drill-down and processes view before their first details pass (or of a namespace now gone).
// top -r: per-socket details are read on demand live, so a recording has none.
inline constexpr std::string_view kDetailsNotRecorded = "(a recording holds no per-socket details: see the STATES and TIME_WAIT panels)";
inline constexpr std::string_view kDetailsComing = "(reading the sockets: they come with the next refresh)";  // wider addresses are shortened in the middle

// A rate, or "-" before two readings exist.
std::string rate_text(const TopFrame& f, double per_s);
// `style` for a value worth attention, Dim for zero.
inline Style quiet_unless(bool nonzero, Style style = Style::Normal) { return nonzero ? style : Style::Dim; }
inline Style rate_style(const TopFrame& f, double per_s, Style style = Style::Normal) {
  return quiet_unless(f.has_rates && per_s > 0, style);
}
std::string endpoint_text(const IpAddress& a, uint16_t port, size_t cols, const Glyphs& g);
inline Line text_line(std::string_view text, Style style = Style::Normal) { return Line{}.add(text, style); }

}  // namespace tcpsight::panel
