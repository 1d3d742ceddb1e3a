#!/usr/bin/env bash
# top_cost.sh: what `tcpsight top` costs while an operator looks at it, on a namespace of about 10k
# sockets (held ESTABLISHED connections: --pairs pairs and a listener). Each way of watching runs at a
# 1 s refresh for --seconds, after a warm-up, and its CPU (utime+stime of the process, from
# /proc/PID/stat) is taken as a share of one core; median of --runs windows:
#   top              the overview (the target: under 1% of a core idle)
#   top sockets      the drill-down open on ESTABLISHED: every socket read with its details and its
#                    holder (an owner scan) at each refresh
#   top processes    the processes view: the same reading, grouped by process
#   stats            `tcpsight stats --interval 1`, the cheapest mode, as the reference
#   ss -tanp loop    `ss -tanp` once a second, what an operator runs without tcpsight (`watch ss`)
#
# Usage: top_cost.sh [--pairs 5000] [--seconds 10] [--runs 5]
# Needs root, tmux and the test tool tcp_peer (built into build/tests). Progress on stderr, the table
# on stdout. The namespace, processes and tmux server go at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

pairs=5000 seconds=10 runs=5
while (($#)); do
  case $1 in
    --pairs) pairs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: top_cost.sh [--pairs N] [--seconds S] [--runs N]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "top_cost.sh: needs root (BPF, network namespaces)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "top_cost.sh: tmux is missing: run scripts/install-deps.sh" >&2; exit 1; }
TCPSIGHT=${TCPSIGHT:-$repo/build/tcpsight}
PEER=${PEER:-$repo/build/tests/tcp_peer}
if [[ ! -x $TCPSIGHT || ! -x $PEER ]]; then
  cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$repo/build" -j"$(nproc)" --target tcpsight tcp_peer >&2
fi
BENCH_BIN=${BENCH_BIN:-$repo/build/bench}
WORK=$(mktemp -d /tmp/tsbench-top.XXXXXX)
TMUX_SOCKET=tsbench-top-$$
source "$here/lib.sh"
trap 'tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || true; bench_cleanup; rm -rf "$WORK"' EXIT
ulimit -n "$(ulimit -Hn)"  # tcp_peer holds both ends of every connection it makes
((2 * pairs + 16 <= $(ulimit -n))) || die "--pairs $pairs needs $((2 * pairs + 16)) open files; the limit is $(ulimit -n)"

NS=tsbench-top-$$
netns_create "$NS"
in_ns "$NS" "$PEER" --count "$pairs" --hold 3600 --max-seconds 300 >/dev/null 2>&1 &
BENCH_PIDS+=("$!")
for i in $(seq 1200); do
  (($(in_ns "$NS" ss -Htan state established | wc -l) >= 2 * pairs)) && break
  sleep 0.1
done
sockets=$(in_ns "$NS" ss -Htan | wc -l)
echo "top_cost: $sockets sockets in $NS" >&2

# CPU share of one core used by pid $1 over $seconds, as a percentage.
cpu_percent() {
  local pid=$1 t0 t1 w0 w1
  t0=$(cpu_ticks "$pid"); w0=$(date +%s.%N)
  sleep "$seconds"
  t1=$(cpu_ticks "$pid"); w1=$(date +%s.%N)
  awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v w0="$w0" -v w1="$w1" \
    'BEGIN {printf "%.2f", 100 * t / hz / (w1 - w0)}'
}

# Starts top in a tmux pane in the namespace, types keys $@ once it has drawn; prints its pid.
start_top() {
  tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || true
  tmux -L "$TMUX_SOCKET" new-session -d -s top -x 200 -y 50 \
    "exec nsenter --net=/run/netns/$NS -- $TCPSIGHT top --interval 1"
  local pid i
  pid=$(tmux -L "$TMUX_SOCKET" display -p -t top '#{pane_pid}')
  for i in $(seq 200); do
    tmux -L "$TMUX_SOCKET" capture-pane -p -t top | grep -q STATES && break
    sleep 0.1
  done
  (($#)) && tmux -L "$TMUX_SOCKET" send-keys -t top "$@"
  echo "$pid"
}

measure_top() {
  local label=$1 expect=$2; shift 2
  local pid r out=()
  pid=$(start_top "$@")
  sleep 3  # warm-up: the first snapshots and owner scan
  tmux -L "$TMUX_SOCKET" capture-pane -p -t top | grep -q "$expect" ||
    die "$label: the screen does not show '$expect'"
  for ((r = 0; r < runs; r++)); do out+=("$(cpu_percent "$pid")"); done
  tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || true
  printf '%s\n' "${out[@]}" | median
}

measure_stats() {
  in_ns "$NS" "$TCPSIGHT" stats --interval 1 >/dev/null 2>&1 &
  local pid=$! r out=()
  BENCH_PIDS+=("$pid")
  sleep 3
  for ((r = 0; r < runs; r++)); do out+=("$(cpu_percent "$pid")"); done
  stop_pid "$pid"
  printf '%s\n' "${out[@]}" | median
}

# One `ss -tanp` a second: its user+system time per call is its share of a core.
measure_ss() {
  local r out=() t
  for ((r = 0; r < runs; r++)); do
    t=$( { TIMEFORMAT='%U %S'; time in_ns "$NS" ss -tanp >/dev/null; } 2>&1 | awk '{printf "%.2f", 100 * ($1 + $2)}')
    out+=("$t")
    sleep 1
  done
  printf '%s\n' "${out[@]}" | median
}

echo "top_cost: top (overview)" >&2;  overview=$(measure_top "top" "TRANSITIONS")
echo "top_cost: top sockets" >&2;     drill=$(measure_top "top sockets" "sockets in ESTABLISHED" Down Enter)
echo "top_cost: top processes" >&2;   processes=$(measure_top "top processes" "PROCESSES" o)
echo "top_cost: stats" >&2;           stats=$(measure_stats)
echo "top_cost: ss -tanp loop" >&2;   ss_loop=$(measure_ss)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }
echo "## top: CPU at a 1 s refresh, $sockets sockets (median of $runs x ${seconds}s; load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| way of watching | % of one core | vs ss -tanp loop |"
echo "|---|---:|---:|"
for row in "top (overview)|$overview" "top sockets (drill-down open)|$drill" "top processes|$processes" \
           "tcpsight stats|$stats" "ss -tanp once a second|$ss_loop"; do
  echo "| ${row%%|*} | ${row##*|} | $(ratio "${row##*|}" "$ss_loop") |"
done
