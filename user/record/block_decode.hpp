// A recording's block payloads as the records they hold. Pure: nullopt for a payload that does not
// hold what its type says (the reader counts it as damage).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/ephemeral_ports.hpp"
#include "core/namespace_table.hpp"
#include "core/netstat_parse.hpp"
#include "record/recording_format.hpp"
#include "tcpsight/abi.h"

namespace tcpsight::recording {

struct CountersReading {
  ts_counters counters{};
  uint64_t missed = 0;
};
std::optional<CountersReading> decode_counters(std::span<const uint8_t> payload);

// An array block's prefix and records: of a record size other than ours, the common bytes are
// kept and the rest zeroed. Events are stored byte-shuffled (BlockBuilder::add_events).
template <class Record>
std::optional<ArrayPrefix> decode_array(std::span<const uint8_t> payload, std::vector<Record>& out, bool shuffled);

std::optional<LossPayload> decode_loss(std::span<const uint8_t> payload);

struct KernelReading {
  KernelCounters counters;              // "Tcp.ActiveOpens", ...
  std::optional<PortRange> port_range;  // "sysctl.ip_local_port_range LOW HIGH"
};
std::optional<KernelReading> decode_kernel_counters(std::span<const uint8_t> payload);
std::string encode_kernel_counters(const KernelCounters& counters, const std::optional<PortRange>& range);

// NAMESPACES (record -A, --netns): what one refresh found, as a NamespaceTable takes it. The
// sightings carry no census: the fresh ones are the NETNS_SNAPSHOT blocks written just before.
struct NamespacesReading {
  std::vector<NamespaceSighting> sightings;
  NamespaceWatchCounts watch;
};
std::string encode_namespaces(const std::vector<NamespaceSighting>& sightings, const NamespaceWatchCounts& watch);
std::optional<NamespacesReading> decode_namespaces(std::span<const uint8_t> payload);

// HEADER and END: a JSON object.
std::optional<nlohmann::json> decode_json(std::span<const uint8_t> payload);

const char* block_type_name(BlockType type);

}  // namespace tcpsight::recording
