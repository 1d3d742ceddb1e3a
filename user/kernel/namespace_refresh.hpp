// One refresh of a NamespaceTable from what the kernel says now, for every front end that shows
// namespaces (stats, top): the namespaces the watcher finds and reads, the tracer's exact counters
// of each, and the counters of the namespaces the table drops forgotten (their inodes may be
// given to new namespaces).
#pragma once

#include <cstdint>
#include <vector>

#include "core/namespace_table.hpp"
#include "kernel/namespace_watch.hpp"
#include "kernel/tracer.hpp"

namespace tcpsight {

// `tracer`: null when no counters are kept (a single stats report). Returns the inodes dropped, for
// callers that keep more of their own about each namespace.
std::vector<uint32_t> refresh_namespaces(NamespaceTable& table, NamespaceWatcher& watcher, Tracer* tracer,
                                         double now_s);

}  // namespace tcpsight
