#!/usr/bin/env bash
# snapshot_cost.sh: wall time of one `tcpsight stats --count 1` (load, attach, iter/tcp snapshot,
# report) against `ss -tan`, with 0, 20k and 100k TIME_WAIT sockets in a network namespace; then,
# when bench/scrape_cost.sh exists, a /metrics scrape against node_exporter's tcpstat collector in
# that same namespace.
#
# Usage: snapshot_cost.sh [--sizes "20000 100000"] [--runs N]
# Needs root; TCPSIGHT and BENCH_BIN set (bench/run.sh does). Progress on stderr, table on stdout.
#
# TIME_WAIT sockets come from client-closed loopback connections to several 127.0.N.1 addresses
# (a fresh port space each), with tcp_tw_reuse off and tcp_max_tw_buckets raised in the namespace.
# They live 60 s: every measurement of one size must end within that, so the count is taken both
# before and after the timing and both are shown.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${TCPSIGHT:?set TCPSIGHT to the tcpsight binary}" "${BENCH_BIN:?set BENCH_BIN to the bench programs}"

sizes="20000 100000" runs=10
while (($#)); do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: snapshot_cost.sh [--sizes LIST] [--runs N]" >&2; exit 2 ;;
  esac
done

WORK=$(mktemp -d /tmp/tsbench-snapshot.XXXXXX)
source "$here/lib.sh"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
table=$WORK/table  # sockets_before sockets_after tcpsight_tw label median_ms ratio

time_wait_count() { in_ns "$1" ss -Htan state time-wait | wc -l; }

# Median wall seconds of each command, run in namespace $1; prints "median_s<TAB>command" lines.
time_commands() {
  local ns=$1; shift
  if command -v hyperfine >/dev/null; then
    in_ns "$ns" hyperfine -N --style basic --warmup 1 --runs "$runs" --export-json "$WORK/hf.json" "$@" >&2
    awk -F'"' '/"command":/ {cmd = $4} /"median":/ {v = $3; gsub(/[ :,]/, "", v); printf "%s\t%s\n", v, cmd}' \
      "$WORK/hf.json"
  else  # a plain loop, rounds interleaved
    local r c i=0
    for c in "$@"; do : >"$WORK/times.$i"; i=$((i + 1)); done
    for ((r = 0; r < runs; r++)); do
      i=0
      for c in "$@"; do
        local t0=$(date +%s%N)
        in_ns "$ns" bash -c "$c" >/dev/null 2>&1
        echo $((($(date +%s%N) - t0))) >>"$WORK/times.$i"
        i=$((i + 1))
      done
    done
    i=0
    for c in "$@"; do printf '%s\t%s\n' "$(median <"$WORK/times.$i" | awk '{print $1/1e9}')" "$c"; i=$((i + 1)); done
  fi
}

for size in 0 $sizes; do
  ns=tsb-tw-$$-$size
  netns_create "$ns"
  in_ns "$ns" sysctl -qw net.ipv4.tcp_max_tw_buckets=$((size * 2 + 1000)) net.ipv4.tcp_tw_reuse=0 \
    net.ipv4.ip_local_port_range="1024 65535"
  echo "bench: $size TIME_WAIT sockets in $ns" >&2
  ((size > 0)) && make_time_wait "$ns" "$size"
  before=$(time_wait_count "$ns")
  seen=$(in_ns "$ns" "$TCPSIGHT" stats --json --count 1 | grep -o '"time_wait":{"count":[0-9]*' | grep -o '[0-9]*$' || true)
  time_commands "$ns" "ss -tan" "$TCPSIGHT stats --count 1" >"$WORK/medians"
  after=$(time_wait_count "$ns")
  base=$(awk -F'\t' '$2 == "ss -tan" {print $1}' "$WORK/medians")
  while IFS=$'\t' read -r med cmd; do
    label=$cmd; [[ $cmd == "$TCPSIGHT"* ]] && label="tcpsight${cmd#"$TCPSIGHT"}"
    echo "$before $after ${seen:--} $label $(awk -v m="$med" -v b="$base" 'BEGIN {printf "%.1f %.2f", m*1000, b ? m/b : 0}')" \
      >>"$table"
  done <"$WORK/medians"
  if ((size > 0)) && [[ -f $here/scrape_cost.sh ]] && grep -q -- '--netns' "$here/scrape_cost.sh"; then
    echo "bench: /metrics scrape against node_exporter tcpstat (bench/scrape_cost.sh) at $before sockets" >&2
    TCPSIGHT=$TCPSIGHT BENCH_BIN=$BENCH_BIN bash "$here/scrape_cost.sh" --netns "$ns" --runs "$runs" \
      >"$WORK/scrape.$size" || echo "bench: scrape_cost.sh failed (exit $?)" >&2
    sed "s/^/[$size] /" "$WORK/scrape.$size" >>"$WORK/scrape"
  fi
  netns_delete "$ns"
done

# A scrape_cost.sh that makes its own sockets (no --netns option) runs once, on its own.
if [[ -f $here/scrape_cost.sh ]] && ! grep -q -- '--netns' "$here/scrape_cost.sh"; then
  echo "bench: /metrics scrape against node_exporter tcpstat (bench/scrape_cost.sh)" >&2
  TCPSIGHT=$TCPSIGHT BENCH_BIN=$BENCH_BIN bash "$here/scrape_cost.sh" >"$WORK/scrape" ||
    echo "bench: scrape_cost.sh failed (exit $?)" >&2
fi

echo "## Snapshot cost: one snapshot's wall time with N TIME_WAIT sockets in the namespace ($runs runs, median)"
echo
printf '%-10s %-10s %-12s %-26s %10s %9s\n' tw_before tw_after tcpsight_tw command median_ms vs_ss
awk '{label = $4; for (i = 5; i <= NF - 2; i++) label = label " " $i
      printf "%-10s %-10s %-12s %-26s %10s %9s\n", $1, $2, $3, label, $(NF-1), $NF}' "$table"
echo
echo "tw_before/tw_after: TIME_WAIT sockets by \`ss\` before and after the timing; tcpsight_tw: the"
echo "count tcpsight's own snapshot reported. vs_ss: median time / median time of \`ss -tan\`."
echo "tcpsight's time includes loading and attaching its BPF programs (the 0-socket row)."
if [[ -s $WORK/scrape ]]; then
  echo
  echo "## /metrics scrape against node_exporter tcpstat (bench/scrape_cost.sh)"
  echo
  cat "$WORK/scrape"
elif [[ ! -f $here/scrape_cost.sh ]]; then
  echo
  echo "(/metrics scrape cost skipped: bench/scrape_cost.sh is not there yet)"
fi
