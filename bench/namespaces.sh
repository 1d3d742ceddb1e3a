#!/usr/bin/env bash
# namespaces.sh: what watching every network namespace costs. For 1, 50 and 200 namespaces with
# about 1k sockets each (held ESTABLISHED connections: 500 pairs and a listener), and for one
# namespace with 100k (TIME_WAIT sockets, which hold no file descriptor), the time of:
#   serve -A    one /metrics scrape of `tcpsight serve -A --snapshot-cpu 100`: a fresh snapshot of
#               every namespace at every scrape (the cost that grows with namespaces and sockets)
#   paced -A    the same exporter as shipped (snapshots paced to 1% of a core)
#   node        node_exporter's tcpstat collector, which sees only its own namespace
#   ss loop     `for each namespace: nsenter --net ss -tan`, what users script today
# Every tool runs in the host's namespace on loopback ports; curl's time_total, median of --runs.
#
# Usage: namespaces.sh [--counts "1 50 200"] [--per 500] [--big 100000] [--runs N]
# Needs root, curl, prometheus-node-exporter and the test tool tcp_peer (built into build/tests).
# Progress on stderr, the table on stdout. Namespaces, processes and sockets go at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

counts="1 50 200" per=500 big=100000 runs=9
while (($#)); do
  case $1 in
    --counts) counts=$2; shift 2 ;;
    --per) per=$2; shift 2 ;;
    --big) big=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: namespaces.sh [--counts LIST] [--per PAIRS] [--big SOCKETS] [--runs N]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "namespaces.sh: needs root (BPF, network namespaces)" >&2; exit 1; }
# The one scripts/install-deps.sh unpacked into .tools/ where the package is missing (it does not
# install it: its service would start), else the package's.
node_exporter=$repo/.tools/root/usr/bin/prometheus-node-exporter
[[ -x $node_exporter ]] || node_exporter=$(command -v prometheus-node-exporter || command -v node_exporter || true)
[[ -n $node_exporter ]] || { echo "namespaces.sh: prometheus-node-exporter is missing: run scripts/install-deps.sh" >&2; exit 1; }
TCPSIGHT=${TCPSIGHT:-$repo/build/tcpsight}
PEER=${PEER:-$repo/build/tests/tcp_peer}
if [[ ! -x $TCPSIGHT || ! -x $PEER ]]; then
  cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$repo/build" -j"$(nproc)" --target tcpsight tcp_peer >&2
fi
BENCH_BIN=${BENCH_BIN:-$repo/build/bench}
WORK=$(mktemp -d /tmp/tsbench-netns.XXXXXX)
source "$here/lib.sh"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
HOST=127.0.0.78 NODE_PORT=9101
ulimit -n "$(ulimit -Hn)"  # tcp_peer holds both ends of every connection it makes
((2 * per + 16 <= $(ulimit -n))) || die "--per $per needs $((2 * per + 16)) open files; the limit is $(ulimit -n)"

ms() { awk -v s="$1" 'BEGIN {printf "%.1f", s * 1000}'; }
sample_of() { awk -v s="$2" 'index($0, s " ") == 1 {print $2; exit}' "$1"; }

# Makes namespace $1 with $2 held connection pairs (both ends in one tcp_peer); waits until ss sees them.
fill() {
  local ns=$1 pairs=$2 i
  netns_create "$ns"
  # 100k sockets need more ephemeral ports than the default range's 28k.
  nsenter --net="/run/netns/$ns" -- "$PEER" --count "$pairs" --hold 900 --max-seconds 120 >/dev/null 2>&1 &
  BENCH_PIDS+=("$!")
  for i in $(seq 1200); do
    (($(in_ns "$ns" ss -Htan state established | wc -l) >= 2 * pairs)) && return 0
    sleep 0.1
  done
  die "namespace $ns: the connections were not all made"
}

# Times each way of reading namespaces $@ (all filled already) and prints one row.
measure() {
  local label=$1 sockets=$2; shift 2
  "$TCPSIGHT" serve -A --listen "$HOST:$BENCH_SERVE_PORT" --snapshot-cpu 100 --max-namespaces 1000 \
    >"$WORK/serve.out" 2>"$WORK/serve.err" & local serve_pid=$!; BENCH_PIDS+=("$serve_pid")
  local paced_port=$((BENCH_SERVE_PORT + 1))
  "$TCPSIGHT" serve -A --listen "$HOST:$paced_port" --max-namespaces 1000 >/dev/null 2>"$WORK/paced.err" &
  local paced_pid=$!; BENCH_PIDS+=("$paced_pid")
  "$node_exporter" --web.listen-address="$HOST:$NODE_PORT" --collector.disable-defaults --collector.tcpstat \
    >/dev/null 2>&1 & local node_pid=$!; BENCH_PIDS+=("$node_pid")
  local port i
  for port in "$BENCH_SERVE_PORT" "$paced_port" "$NODE_PORT"; do
    for i in $(seq 300); do curl -sf -o /dev/null --max-time 5 "http://$HOST:$port/metrics" && break; sleep 0.1; done
  done
  : >"$WORK/serve.t"; : >"$WORK/paced.t"; : >"$WORK/node.t"; : >"$WORK/ss.t"
  local r
  for ((r = 0; r <= runs; r++)); do  # round 0 warms up and is not counted
    sleep 0.3  # scrapes within 250 ms of a gathering are served from it: every timed one gathers
    local a b c s0 s1
    a=$(curl -s -o "$WORK/serve.prom" -w '%{time_total}' --max-time 60 "http://$HOST:$BENCH_SERVE_PORT/metrics")
    b=$(curl -s -o /dev/null -w '%{time_total}' --max-time 60 "http://$HOST:$paced_port/metrics")
    c=$(curl -s -o /dev/null -w '%{time_total}' --max-time 60 "http://$HOST:$NODE_PORT/metrics")
    s0=$(date +%s.%N)
    for ns in "$@"; do in_ns "$ns" ss -tan >/dev/null; done
    s1=$(date +%s.%N)
    if ((r > 0)); then
      echo "$a" >>"$WORK/serve.t"; echo "$b" >>"$WORK/paced.t"; echo "$c" >>"$WORK/node.t"
      awk -v a="$s0" -v b="$s1" 'BEGIN {print b - a}' >>"$WORK/ss.t"
    fi
  done
  local seen; seen=$(sample_of "$WORK/serve.prom" 'tcpsight_namespaces{set="seen"}')
  local cpu_s; cpu_s=$(ticks_to_s "$(cpu_ticks "$paced_pid")")
  stop_pid "$serve_pid"; stop_pid "$paced_pid"; stop_pid "$node_pid"
  printf '%-16s %9s %6s %10s %10s %10s %10s %12s\n' "$label" "$sockets" "$seen" \
    "$(ms "$(median <"$WORK/serve.t")")" "$(ms "$(median <"$WORK/paced.t")")" "$(ms "$(median <"$WORK/node.t")")" \
    "$(ms "$(median <"$WORK/ss.t")")" "$cpu_s"
}

echo "bench: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at start" >&2
printf '%-16s %9s %6s %10s %10s %10s %10s %12s\n' namespaces sockets seen "serve-A_ms" "paced-A_ms" "node_ms" \
  "ss_loop_ms" "paced_cpu_s"
made=()
for n in $counts; do
  while ((${#made[@]} < n)); do
    ns=tsb-ns-$$-${#made[@]}
    fill "$ns" "$per"
    made+=("$ns")
  done
  measure "$n x $((2 * per + 1))" $((n * (2 * per + 1))) "${made[@]}"
done
for ns in "${made[@]}"; do netns_delete "$ns"; done
pkill -f "$PEER --count $per --hold 900" 2>/dev/null || true
if ((big > 0)); then
  # TIME_WAIT sockets live 60 s: the rounds below take a few seconds once they are made.
  netns_create "tsb-big-$$"
  make_time_wait "tsb-big-$$" "$big"
  measure "1 x $(in_ns "tsb-big-$$" ss -Htan state time-wait | wc -l) tw" "$big" "tsb-big-$$"
fi
echo "bench: load $(cut -d' ' -f1-3 /proc/loadavg) at end" >&2
