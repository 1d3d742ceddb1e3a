#!/usr/bin/env bash
# scrape_cost.sh: time of one /metrics scrape of `tcpsight serve` against node_exporter's tcpstat
# collector (`prometheus-node-exporter --collector.disable-defaults --collector.tcpstat`), both
# running in the same network namespace on loopback ports, with N TIME_WAIT sockets there.
#
# Usage:
#   scrape_cost.sh [--sizes "20000 100000"] [--runs N]   makes its own namespaces and sockets
#   scrape_cost.sh --netns NS [--runs N]                 measures in NS as it is (snapshot_cost.sh)
# Needs root, curl and prometheus-node-exporter. TCPSIGHT (default build/tcpsight) and BENCH_BIN
# (default build/bench, for `churn`) may be set; missing programs are built into build/.
# Progress on stderr, the table on stdout.
#
# Two tcpsight exporters run: one with `--snapshot-cpu 100`, so that every scrape takes a new
# snapshot of every socket (the cost that grows with the sockets), and one as shipped, whose
# snapshots are paced to 1% of a core (most scrapes reuse the last snapshot: the cost a fleet
# scraping every second pays). Each round scrapes both, then node_exporter, then sleeps 0.3 s:
# tcpsight serves scrapes that come within 250 ms of a gathering from that gathering, and every
# timed scrape here must gather afresh. Times are curl's time_total (connect, request, full response), median of --runs.
# TIME_WAIT sockets live 60 s: each size is measured right after its sockets are made, and the
# counts by ss, tcpsight and node_exporter are taken at the end of the timing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

sizes="20000 100000" runs=9 netns=""
while (($#)); do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --netns) netns=$2; shift 2 ;;
    *) echo "usage: scrape_cost.sh [--sizes LIST] [--runs N] | --netns NS [--runs N]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "scrape_cost.sh: needs root (BPF, network namespaces)" >&2; exit 1; }
# The one scripts/install-deps.sh unpacked into .tools/ where the package is missing (it does not
# install it: its service would start), else the package's.
node_exporter=$repo/.tools/root/usr/bin/prometheus-node-exporter
[[ -x $node_exporter ]] || node_exporter=$(command -v prometheus-node-exporter || command -v node_exporter || true)
[[ -n $node_exporter ]] || { echo "scrape_cost.sh: prometheus-node-exporter is missing: run scripts/install-deps.sh" >&2; exit 1; }
command -v curl >/dev/null || { echo "scrape_cost.sh: curl is not installed" >&2; exit 1; }

TCPSIGHT=${TCPSIGHT:-$repo/build/tcpsight}
BENCH_BIN=${BENCH_BIN:-$repo/build/bench}
if [[ ! -x $TCPSIGHT || (-z $netns && ! -x $BENCH_BIN/churn) ]]; then
  echo "scrape_cost.sh: building tcpsight and churn into $repo/build" >&2
  cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$repo/build" -j"$(nproc)" --target tcpsight churn >&2
fi

WORK=$(mktemp -d /tmp/tsbench-scrape.XXXXXX)
source "$here/lib.sh"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
NODE_PORT=9100
# The exporters listen on an address of their own: the TIME_WAIT sockets made here (and by
# snapshot_cost.sh) hold ports of 127.0.0.1 across 1024-65535, and bind() would find some taken.
HOST=127.0.0.77

# Seconds as milliseconds with one decimal.
ms() { awk -v s="$1" 'BEGIN {printf "%.1f", s * 1000}'; }

# The value of the first sample of $2 (a series, as written) in the exposition file $1.
sample_of() { awk -v s="$2" 'index($0, s " ") == 1 {print $2; exit}' "$1"; }

# Starts a process in namespace $1 (the rest is its command); its pid in STARTED.
start_in() {
  local ns=$1; shift
  nsenter --net="/run/netns/$ns" -- "$@" >"$WORK/$(basename "$1").out" 2>"$WORK/$(basename "$1").err" &
  STARTED=$!
  BENCH_PIDS+=("$STARTED")
}

# Waits up to 20 s until http://$HOST:$2/metrics answers in namespace $1.
wait_http() {
  local i
  for i in $(seq 200); do
    in_ns "$1" curl -sf -o /dev/null --max-time 2 "http://$HOST:$2/metrics" && return 0
    sleep 0.1
  done
  return 1
}

# Measures both exporters in namespace $1 and prints one table row.
measure() {
  local ns=$1 r
  start_in "$ns" "$TCPSIGHT" serve --listen "$HOST:$BENCH_SERVE_PORT" --snapshot-cpu 100
  local serve_pid=$STARTED
  local paced_port=$((BENCH_SERVE_PORT + 1))
  start_in "$ns" "$TCPSIGHT" serve --listen "$HOST:$paced_port"
  local paced_pid=$STARTED
  start_in "$ns" "$node_exporter" --web.listen-address="$HOST:$NODE_PORT" --collector.disable-defaults \
    --collector.tcpstat
  local node_pid=$STARTED
  wait_http "$ns" "$BENCH_SERVE_PORT" || { cat "$WORK/tcpsight.err" >&2; die "tcpsight serve did not answer"; }
  wait_http "$ns" "$paced_port" || { cat "$WORK/tcpsight.err" >&2; die "tcpsight serve did not answer"; }
  wait_http "$ns" "$NODE_PORT" || { cat "$WORK/$(basename "$node_exporter").err" >&2; die "node_exporter did not answer"; }

  : >"$WORK/serve.times"; : >"$WORK/paced.times"; : >"$WORK/node.times"; : >"$WORK/gather.times"
  for ((r = 0; r <= runs; r++)); do  # round 0 warms both up and is not counted
    sleep 0.3
    local t_serve t_paced t_node
    t_serve=$(in_ns "$ns" curl -s -o "$WORK/serve.prom" -w '%{time_total}' "http://$HOST:$BENCH_SERVE_PORT/metrics")
    t_paced=$(in_ns "$ns" curl -s -o /dev/null -w '%{time_total}' "http://$HOST:$paced_port/metrics")
    t_node=$(in_ns "$ns" curl -s -o "$WORK/node.prom" -w '%{time_total}' "http://$HOST:$NODE_PORT/metrics")
    if ((r > 0)); then
      echo "$t_serve" >>"$WORK/serve.times"
      echo "$t_paced" >>"$WORK/paced.times"
      echo "$t_node" >>"$WORK/node.times"
      sample_of "$WORK/serve.prom" tcpsight_gather_duration_seconds >>"$WORK/gather.times"
    fi
  done
  local tw_ss; tw_ss=$(in_ns "$ns" ss -Htan state time-wait | wc -l)
  stop_pid "$serve_pid"
  stop_pid "$paced_pid"
  stop_pid "$node_pid"

  local serve_med node_med
  serve_med=$(median <"$WORK/serve.times")
  node_med=$(median <"$WORK/node.times")
  printf '%-9s %-12s %-9s %11s %11s %11s %11s %8s\n' "$tw_ss" \
    "$(sample_of "$WORK/serve.prom" 'tcpsight_sockets{state="TIME_WAIT"}')" \
    "$(sample_of "$WORK/node.prom" 'node_tcp_connection_states{state="time_wait"}')" \
    "$(ms "$serve_med")" "$(ms "$(median <"$WORK/gather.times")")" "$(ms "$(median <"$WORK/paced.times")")" \
    "$(ms "$node_med")" "$(awk -v a="$serve_med" -v b="$node_med" 'BEGIN {printf "%.2f", b ? a / b : 0}')"
}

header() {
  printf '%-9s %-12s %-9s %11s %11s %11s %11s %8s\n' tw_ss tw_tcpsight tw_node serve_ms gather_ms paced_ms node_ms ratio
}

footer() {
  echo
  echo "serve_ms, node_ms: median curl time_total of $runs scrapes of tcpsight serve --snapshot-cpu 100 (a new"
  echo "snapshot of every socket at each scrape) and of node_exporter's tcpstat collector, interleaved, in the"
  echo "same namespace. gather_ms: that tcpsight's own time to read its counters and snapshot every socket"
  echo "(tcpsight_gather_duration_seconds, median of the same scrapes). paced_ms: the same scrapes of"
  echo "tcpsight serve as shipped (snapshots paced to 1% of a core, so most reuse the last one)."
  echo "ratio: serve_ms / node_ms. tw_*: TIME_WAIT sockets by ss, and in the last scrape of tcpsight and"
  echo "of node_exporter, at the end of the timing."
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (above 1 on 2 cores: expect noise)"
}

if [[ -n $netns ]]; then
  [[ -e /run/netns/$netns ]] || die "no network namespace $netns"
  header
  measure "$netns"
  footer
  exit 0
fi

echo "## /metrics scrape: tcpsight serve against node_exporter tcpstat ($runs scrapes each, median)"
echo
header
for size in $sizes; do
  ns=tsb-scrape-$$-$size
  netns_create "$ns"
  in_ns "$ns" sysctl -qw net.ipv4.tcp_max_tw_buckets=$((size * 2 + 1000)) net.ipv4.tcp_tw_reuse=0 \
    net.ipv4.ip_local_port_range="1024 65535"
  echo "scrape_cost: $size TIME_WAIT sockets in $ns" >&2
  make_time_wait "$ns" "$size"
  measure "$ns"
  netns_delete "$ns"
done
footer
