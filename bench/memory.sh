#!/usr/bin/env bash
# memory.sh: how much memory tcpsight holds after many events.
#  1. bench/flow_memory: the Aggregator alone after 10M synthetic events over 1M distinct flows,
#     with its default per-flow cap and with a cap large enough to keep every troubled flow
#     (what the cap saves). Peak RSS from getrusage.
#  2. the real binary (trace --json > /dev/null, stats, and serve and top once they exist): peak
#     RSS (VmHWM) once attached, and again after a churn of --connections RST-closed loopback
#     connections in a namespace of its own.
#
# Usage: memory.sh [--connections N] [--events N] [--flows N] [--modes "trace stats serve top"]
# Needs root; TCPSIGHT and BENCH_BIN set (bench/run.sh does). Progress on stderr, table on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${TCPSIGHT:?set TCPSIGHT to the tcpsight binary}" "${BENCH_BIN:?set BENCH_BIN to the bench programs}"

connections=1000000 events=10000000 flows=1000000 modes="trace stats serve top"
while (($#)); do
  case $1 in
    --connections) connections=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --flows) flows=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    *) echo "usage: memory.sh [--connections N] [--events N] [--flows N] [--modes LIST]" >&2; exit 2 ;;
  esac
done

WORK=$(mktemp -d /tmp/tsbench-memory.XXXXXX)
source "$here/lib.sh"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT

echo "bench: Aggregator alone: $events events over $flows flows" >&2
capped=$("$BENCH_BIN/flow_memory" --events "$events" --flows "$flows")
uncapped=$("$BENCH_BIN/flow_memory" --events "$events" --flows "$flows" --capacity "$flows")

echo "## Memory of the Aggregator alone: $events synthetic events over $flows distinct flows"
echo
mix=$(awk '{for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
            printf "%s state, %s retransmit, %s reset events", v["state_events"], v["retransmit_events"], v["reset_events"]}' \
      <<<"$capped")
echo "($mix)"
printf '%-18s %14s %14s %12s %14s %14s\n' flow_table_cap rss_before_MiB peak_rss_MiB flows_kept flows_evicted Mevents/s
for line in "$capped" "$uncapped"; do
  awk '{for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
        cap = v["capacity"] == "default" ? "default" : v["capacity"] " (all)"
        printf "%-18s %14.1f %14.1f %12s %14s %14.2f\n", cap, v["rss_before_kb"] / 1024, v["peak_rss_kb"] / 1024,
               v["flows_kept"], v["flows_evicted"], v["events_per_second"] / 1e6}' <<<"$line"
done
echo

ns=tsb-mem-$$
netns_create "$ns"
table=$WORK/table
declare -A unavailable=()
for mode in $modes; do
  if ! mode_start "$mode" "$ns" "$WORK" || ! mode_ready "$mode" "$ns" "$WORK"; then
    unavailable[$mode]=${MODE_WHY:-"did not start"}
    echo "bench: $mode skipped: ${unavailable[$mode]}" >&2
    mode_stop "$mode"
    continue
  fi
  sleep 1
  hwm0=$(vm_hwm_kb "$MODE_PID")
  echo "bench: $mode: $connections RST-closed connections" >&2
  line=$(in_ns "$ns" "$BENCH_BIN/churn" --count "$connections" --close rst --threads 2 --seconds 300)
  echo "$line" >&2
  sleep 1.5  # a report or scrape after the load
  hwm1=$(vm_hwm_kb "$MODE_PID") rss1=$(awk '/^VmRSS:/ {print $2}' "/proc/$MODE_PID/status" 2>/dev/null || echo 0)
  mode_stop "$mode"
  lost=-
  # the records the ring buffer dropped, of all it was offered ("tcpsight: D events delivered; lost L:
  # W not written..., R dropped by the ring buffer, ...")
  [[ $mode == trace ]] && lost=$(grep -o 'tcpsight: [0-9]* events delivered; lost [0-9]*: [0-9]* not written[^,]*, [0-9]* dropped' \
                                   "$WORK/trace.err" |
                                 sed -E 's/^tcpsight: ([0-9]+) .*: ([0-9]+) not written.*, ([0-9]+) dropped$/\1 \2 \3/' |
                                 awk '{printf "%d of %d", $3, $1 + $2 + $3}' || true)
  echo "$mode $(field connections "$line") $hwm0 $hwm1 $rss1 ${lost:--}" >>"$table"
done
netns_delete "$ns"

echo "## Memory of the tcpsight binary: peak RSS (VmHWM) attached, and after ~$connections connections"
echo
printf '%-8s %12s %16s %16s %12s  %s\n' mode connections hwm_attached_MiB hwm_after_MiB rss_after_MiB "events lost"
[[ -s $table ]] && awk '{lost = $6; for (i = 7; i <= NF; i++) lost = lost " " $i
  printf "%-8s %12s %16.1f %16.1f %12.1f  %s\n", $1, $2, $3 / 1024, $4 / 1024, $5 / 1024, lost}' "$table"
for mode in $modes; do
  [[ -n ${unavailable[$mode]:-} ]] && printf '%-8s skipped: %s\n' "$mode" "${unavailable[$mode]}"
done
true
