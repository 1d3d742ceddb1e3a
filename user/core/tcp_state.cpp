#include "core/tcp_state.hpp"

#include <algorithm>
#include <cctype>

namespace tcpsight {

namespace {
constexpr std::array<std::string_view, 13> kNames = {
    "UNKNOWN",   "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
    "CLOSE",     "CLOSE_WAIT",  "LAST_ACK",   "LISTEN",   "CLOSING",   "NEW_SYN_RECV",
};
}  // namespace

std::string_view state_name(int state) {
  if (state < 1 || state >= static_cast<int>(kNames.size())) return kNames[0];
  return kNames[static_cast<size_t>(state)];
}

std::optional<int> parse_state(std::string_view text) {
  std::string norm(text);
  std::transform(norm.begin(), norm.end(), norm.begin(), [](unsigned char c) {
    return c == '-' ? '_' : static_cast<char>(std::toupper(c));
  });
  if (norm == "SYN_RECEIVED") norm = "SYN_RECV";
  if (norm == "FIN_WAIT_1") norm = "FIN_WAIT1";
  if (norm == "FIN_WAIT_2") norm = "FIN_WAIT2";
  if (norm == "ESTAB") norm = "ESTABLISHED";  // ss's column and state-filter spellings
  if (norm == "LISTENING") norm = "LISTEN";
  if (norm == "CLOSED") norm = "CLOSE";
  for (size_t i = 1; i < kNames.size(); ++i)
    if (kNames[i] == norm) return static_cast<int>(i);
  return std::nullopt;
}

}  // namespace tcpsight
