// `tcpsight stats --detail owners,listeners`: who holds the sockets and what each listener has, from
// one details pass and the owner scan right after it. Pure: the rows come from core/socket_rows.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "core/owner_index.hpp"
#include "core/socket_rows.hpp"

namespace tcpsight {

struct DetailRequest {
  bool owners = false;
  bool listeners = false;
  size_t limit = 100;  // rows per list; what is left out is counted ("owners_more", "listeners_more")

  bool any() const { return owners || listeners; }
};

// The "detail" object of a stats JSON line: "limit", then "owners" and "owners_more", "listeners"
// and "listeners_more" as requested. Owners: the processes holding most sockets first (a socket
// held by several counts for each, as ss -tanp lists it), then {"pid":null,"comm":null,...} for
// the sockets no process holds, which is always shown and not counted against the limit.
nlohmann::json detail_json(std::span<const SocketRow> rows, const OwnerIndex& owners, const DetailRequest& request);
// The same as text lines ("owner ...", "listener ..."), appended to a stats text report.
std::string detail_text(std::span<const SocketRow> rows, const OwnerIndex& owners, const DetailRequest& request);

}  // namespace tcpsight
