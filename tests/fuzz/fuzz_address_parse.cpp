// The values users type: trace's --addr and --state, serve's --listen. Any text, no crash, and
// what is accepted prints back as text that parses to the same value.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/address.hpp"
#include "core/event_filter.hpp"
#include "core/tcp_state.hpp"
#include "serve/listen_address.hpp"

namespace {

void check_address(std::string_view text) {
  const auto addr = tcpsight::parse_address(text);
  if (!addr) return;
  if (addr->family != AF_INET && addr->family != AF_INET6) std::abort();
  if (tcpsight::parse_address(tcpsight::format_address(*addr)) != addr) std::abort();
  if (!addr->same_host(*addr)) std::abort();
  tcpsight::EventFilter filter;
  filter.addr = addr;
  const auto k = tcpsight::kernel_stream_filter(filter);
  if (k.addr_family != 0 && k.addr_family != AF_INET && k.addr_family != AF_INET6) std::abort();
}

void check_state(std::string_view text) {
  const auto state = tcpsight::parse_state(text);
  if (!state) return;
  if (*state < 1 || *state > 12) std::abort();
  if (tcpsight::parse_state(tcpsight::state_name(*state)) != state) std::abort();
  tcpsight::EventFilter filter;
  filter.states = {*state};
  (void)tcpsight::kernel_stream_filter(filter);
}

void check_listen(std::string_view text) {
  const auto listen = tcpsight::parse_listen_address(text);
  if (!listen) return;
  const auto again = tcpsight::parse_listen_address(listen->text());
  if (!again || again->host != listen->host || again->port != listen->port || again->ipv6 != listen->ipv6)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // argv holds no NUL: a value ends at the first one.
  std::string_view text(reinterpret_cast<const char*>(data), size);
  text = text.substr(0, text.find('\0'));
  check_address(text);
  check_state(text);
  check_listen(text);
  return 0;
}
