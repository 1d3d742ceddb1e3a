# Shared by the bench/*.sh scripts (sourced, not run). Everything runs as root.
#
# The caller sets before sourcing:
#   TCPSIGHT  path of the tcpsight binary
#   BENCH_BIN directory holding churn, flow_memory, aggregator_bench
#   WORK      a scratch directory for this run (removed by the caller)
# and calls bench_cleanup from its EXIT trap.

BENCH_NETNS=()  # namespaces this run created
BENCH_PIDS=()   # background processes this run started
BENCH_TMUX=""   # tmux server socket name, when a mode needed one
BENCH_SERVE_PORT=9977
BENCH_BPF_STATS_PREV=""  # kernel.bpf_stats_enabled before bpf_stats_enable, restored by bench_cleanup

die() { echo "bench: $*" >&2; exit 1; }

# --- numbers ---------------------------------------------------------------------------------

# Median of the numbers on stdin, one per line (empty input: empty output).
median() { sort -g | awk '{v[NR]=$1} END {if (NR) print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# key=value field of a line: field connections "connections=12 rate=5" -> 12
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

# --- processes -------------------------------------------------------------------------------

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }  # utime+stime
ticks_to_s() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.3f", t/hz}'; }
vm_hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# The first lines of stdin as one short line (for "skipped: <why>").
one_line() { head -n 3 | tr '\n' ' ' | head -c 200 | sed 's/ *$//'; }
alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# Stops one process we started: SIGINT (tcpsight prints its summary), then SIGTERM, then SIGKILL.
stop_pid() {
  local pid=$1 i
  alive "$pid" || { wait "$pid" 2>/dev/null || true; forget_pid "$pid"; return 0; }
  kill -INT "$pid" 2>/dev/null || true
  for i in $(seq 30); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  for i in $(seq 20); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

# A reaped child's pid may be reused by someone else's process: never signal it again.
forget_pid() {
  local kept=() p
  for p in "${BENCH_PIDS[@]}"; do [[ $p == "$1" ]] || kept+=("$p"); done
  BENCH_PIDS=("${kept[@]}")
}

# --- network namespaces ----------------------------------------------------------------------

# Creates a namespace with loopback up; it is deleted by bench_cleanup.
netns_create() {
  local ns=$1
  ip netns add "$ns" || die "cannot create network namespace $ns"
  BENCH_NETNS+=("$ns")
  ip -n "$ns" link set lo up
}

netns_delete() {
  local ns=$1
  ip netns del "$ns" 2>/dev/null || true
}

# Runs a command in a namespace. nsenter changes only the network namespace: unlike
# `ip netns exec` it keeps /sys as it is, which bpftrace's tracefs and tcpsight's BTF need.
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" -- "$@"; }

# Fills namespace $1 with about $2 TIME_WAIT sockets, 20k per destination address at most.
make_time_wait() {
  local ns=$1 want=$2 per_addr=20000 a
  local addrs=$(((want + per_addr - 1) / per_addr))
  for ((a = 1; a <= addrs; a++)); do
    local n=$((want / addrs + (a <= want % addrs ? 1 : 0)))
    in_ns "$ns" "$BENCH_BIN/churn" --count "$n" --close client --threads 2 --seconds 40 --addr "127.0.$a.1" >&2
  done
}

# bpftrace's classic tracepoints need tracefs.
# When the mount fails, bpftrace fails to attach and its mode is skipped with bpftrace's error.
ensure_tracefs() {
  [[ -e /sys/kernel/tracing/events ]] && return 0
  if mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; then
    echo "bench: mounted tracefs on /sys/kernel/tracing (left mounted)" >&2
  fi
  return 0
}

# --- the monitors under test -----------------------------------------------------------------
# A mode is one monitor running next to the load. mode_start NAME NETNS DIR starts it in the
# background in NETNS, writes its output to DIR/NAME.{out,err} and sets MODE_PID (the process
# whose CPU and memory are measured; for top, the process inside its tmux pane). mode_ready
# waits until it is attached; a mode that exits first is not available (MODE_WHY says why).

# NAME@old is mode NAME run with $TCPSIGHT_OLD, an earlier build: a before and after in one run.
mode_command() {
  [[ $1 == *@old ]] && { echo "$(mode_command "${1%@old}") [before: \$TCPSIGHT_OLD]"; return; }
  case $1 in
    idle) echo "sleep 1000" ;;
    stats) echo "tcpsight stats --json --interval 1" ;;
    serve) echo "tcpsight serve --listen 127.0.0.1:$BENCH_SERVE_PORT, scraped every second" ;;
    serve-lean) echo "tcpsight serve --no-histograms, scraped every second" ;;
    serve-durations) echo "tcpsight serve --connection-durations (per-socket storage), scraped every second" ;;
    serve-all) echo "tcpsight serve -A (every namespace, per-namespace counters), scraped every second" ;;
    top) echo "tcpsight top (in a detached tmux session)" ;;
    top-timing) echo "tcpsight top --socket-timing (per-socket storage; in a detached tmux session)" ;;
    trace) echo "tcpsight trace --json > /dev/null" ;;
    record) echo "tcpsight record -w FILE: every event, counters each 0.1 s, sockets each 1 s, zstd" ;;
    bpftrace) echo "bpftrace counting inet_sock_set_state into a map" ;;
    tcpstates) echo "tcpstates (libbpf-tools) > /dev/null: every state change through a perf buffer" ;;
    tcplife) echo "tcplife (libbpf-tools) > /dev/null: one line per closed connection" ;;
    none) echo "nothing attached (baseline)" ;;
  esac
}

MODE_PID="" MODE_HELPER_PID="" MODE_WHY=""

mode_start() {
  local name=$1 ns=$2 dir=$3
  MODE_PID="" MODE_HELPER_PID="" MODE_WHY=""
  local out=$dir/$name.out err=$dir/$name.err
  : >"$out"; : >"$err"
  local TCPSIGHT=$TCPSIGHT
  if [[ $name == *@old ]]; then
    [[ -x ${TCPSIGHT_OLD:-} ]] || { MODE_WHY="TCPSIGHT_OLD is not set to an earlier tcpsight binary"; return 1; }
    TCPSIGHT=$TCPSIGHT_OLD name=${name%@old}
  fi
  # Started as nsenter itself (not through a shell function), so $! is the monitor's own pid.
  local enter=(nsenter --net="/run/netns/$ns" --)
  case $name in
    none) return 0 ;;
    idle) "${enter[@]}" sleep 1000 >"$out" 2>"$err" & ;;
    stats) "${enter[@]}" "$TCPSIGHT" stats --json --interval 1 >"$out" 2>"$err" & ;;
    serve) "${enter[@]}" "$TCPSIGHT" serve --listen "127.0.0.1:$BENCH_SERVE_PORT" >"$out" 2>"$err" & ;;
    serve-lean)
      "${enter[@]}" "$TCPSIGHT" serve --listen "127.0.0.1:$BENCH_SERVE_PORT" --no-histograms >"$out" 2>"$err" & ;;
    serve-durations)
      "${enter[@]}" "$TCPSIGHT" serve --listen "127.0.0.1:$BENCH_SERVE_PORT" --connection-durations >"$out" 2>"$err" & ;;
    serve-all) "${enter[@]}" "$TCPSIGHT" serve -A --listen "127.0.0.1:$BENCH_SERVE_PORT" >"$out" 2>"$err" & ;;
    trace) "${enter[@]}" "$TCPSIGHT" trace --json >/dev/null 2>"$err" & ;;
    # Each run writes a new file (the last run's is overwritten); its summary line is on stderr.
    record) rm -f -- "$dir/$name.tsr"; "${enter[@]}" "$TCPSIGHT" record -w "$dir/$name.tsr" >"$out" 2>"$err" & ;;
    bpftrace)
      ensure_tracefs
      "${enter[@]}" bpftrace -e 'tracepoint:sock:inet_sock_set_state { @[args->oldstate, args->newstate] = count(); }' \
        >"$out" 2>"$err" & ;;
    tcpstates | tcplife)
      # libbpf-tools: Debian 12 installs them in /usr/sbin. They see every namespace, as bpftrace.
      local tool
      tool=$(command -v "$name" || echo "/usr/sbin/$name")
      [[ -x $tool ]] || { MODE_WHY="$name not installed (Debian package libbpf-tools)"; return 1; }
      "${enter[@]}" "$tool" >/dev/null 2>"$err" & ;;
    top | top-timing)
      local timing=""
      [[ $name == top-timing ]] && timing=--socket-timing
      BENCH_TMUX=${BENCH_TMUX:-tsbench-$$}
      tmux -L "$BENCH_TMUX" kill-server 2>/dev/null || true
      tmux -L "$BENCH_TMUX" -f /dev/null new-session -d -s top -x 160 -y 48 \
        "exec nsenter --net=/run/netns/$ns -- $TCPSIGHT top $timing 2>$err" ||
        { MODE_WHY="tmux cannot start a session"; return 1; }
      MODE_PID=$(tmux -L "$BENCH_TMUX" display-message -p -t top '#{pane_pid}' 2>/dev/null || true)
      [[ -n $MODE_PID ]] || { MODE_WHY=$(one_line <"$err"); MODE_WHY=${MODE_WHY:-"exited at once"}; return 1; }
      return 0 ;;
    *) die "unknown mode $name" ;;
  esac
  MODE_PID=$!
  BENCH_PIDS+=("$MODE_PID")
}

# Waits up to 20 s for the mode to be attached; for serve, then starts its scraper.
mode_ready() {
  local name=$1 ns=$2 dir=$3 i
  [[ $name == none ]] && return 0
  local base=${name%@old}
  for i in $(seq 200); do
    if ! alive "$MODE_PID"; then
      MODE_WHY=$(grep -v RLIMIT_MEMLOCK "$dir/$name.err" 2>/dev/null | one_line)
      MODE_WHY=${MODE_WHY:-"exited before it was ready"}
      return 1
    fi
    case $base in
      idle) return 0 ;;
      stats) [[ -s $dir/$name.out ]] && return 0 ;;
      trace) grep -q "tracing TCP" "$dir/$name.err" 2>/dev/null && return 0 ;;
      # Printed once loaded, attached and the file is open.
      record) grep -q "recording TCP" "$dir/$name.err" 2>/dev/null && return 0 ;;
      bpftrace) grep -q "Attaching" "$dir/$name.out" 2>/dev/null && return 0 ;;
      # Their header line goes to /dev/null (and would sit in stdio's buffer anyway): they print it
      # right after perf_buffer__new, which follows the attach. So ready = the process holds a BPF
      # link (attached) and an epoll fd (its perf buffer).
      tcpstates | tcplife) holds_fd "$MODE_PID" 'anon_inode:bpf_link' && holds_fd "$MODE_PID" 'anon_inode:\[eventpoll\]' &&
        return 0 ;;
      top | top-timing) ((i >= 15)) && [[ -n $(tmux -L "$BENCH_TMUX" capture-pane -p -t top 2>/dev/null | tr -d ' \n') ]] && return 0 ;;
      serve | serve-lean | serve-durations | serve-all)
        if in_ns "$ns" curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$BENCH_SERVE_PORT/metrics"; then
          nsenter --net="/run/netns/$ns" -- bash -c "while sleep 1; do curl -sf -o /dev/null --max-time 2 \
            http://127.0.0.1:$BENCH_SERVE_PORT/metrics || echo scrape failed >&2; done" 2>>"$dir/scrape.err" &
          MODE_HELPER_PID=$!
          BENCH_PIDS+=("$MODE_HELPER_PID")
          return 0
        fi ;;
    esac
    sleep 0.1
  done
  MODE_WHY="not ready after 20 s"
  return 1
}

mode_stop() {
  local name=$1
  if [[ -n $MODE_HELPER_PID ]]; then  # the scraper loop: a shell ignores SIGINT while sleep runs
    kill -TERM "$MODE_HELPER_PID" 2>/dev/null || true
    stop_pid "$MODE_HELPER_PID"
  fi
  if [[ ${name%@old} == top || ${name%@old} == top-timing ]]; then
    if alive "$MODE_PID"; then kill -INT "$MODE_PID" 2>/dev/null || true; fi
    local i
    for i in $(seq 20); do alive "$MODE_PID" || break; sleep 0.1; done
    tmux -L "$BENCH_TMUX" kill-server 2>/dev/null || true
  elif [[ -n $MODE_PID ]]; then
    stop_pid "$MODE_PID"
  fi
  MODE_HELPER_PID=""
}

# True when process $1 has an open fd whose link target matches the extended regex $2.
holds_fd() {
  local f
  for f in /proc/"$1"/fd/*; do
    [[ $(readlink "$f" 2>/dev/null) =~ ^$2$ ]] && return 0
  done
  return 1
}

# record's summary on stderr, "tcpsight: recorded E events, ... : B bytes (R uncompressed), ...;
# lost: L1 (ring buffer full), L2 (missed by the kernel), L3 (not written in time)", as
# "E L M B": L = L1 + L3, what the recorder let go; M = L2, runs the kernel skipped (a program
# interrupted on its CPU by the same tracepoint), which no tracer can have; nothing when the
# line is missing.
record_summary() {
  sed -nE 's/^tcpsight: recorded ([0-9]+) events, .*: ([0-9]+) bytes \(.*; lost: ([0-9]+) \(ring buffer full\), ([0-9]+) \(missed by the kernel\), ([0-9]+) \(not written in time\)$/\1 \2 \3 \4 \5/p' \
    "$1" 2>/dev/null | tail -n 1 | awk '{print $1, $3 + $5, $4, $2}'
}

# Events the libbpf-tools report losing: "lost N events on CPU #C" lines on their stderr.
peer_lost() { { grep -o 'lost [0-9]* events' "$1" 2>/dev/null || true; } | awk '{n += $2} END {print n + 0}'; }

# --- BPF run-time statistics -----------------------------------------------------------------
# kernel.bpf_stats_enabled=1 makes the kernel time every BPF program run (run_time_ns, run_cnt in
# each program fd's fdinfo). It is a machine-wide sysctl: bpf_stats_enable saves the value it finds
# and bench_cleanup (the EXIT trap) puts it back. Timing adds two clock reads to every run of every
# program on the machine, in every mode alike.

bpf_stats_enable() {
  [[ -r /proc/sys/kernel/bpf_stats_enabled ]] || { echo "bench: no kernel.bpf_stats_enabled: no in-kernel times" >&2; return 1; }
  BENCH_BPF_STATS_PREV=$(cat /proc/sys/kernel/bpf_stats_enabled)
  echo 1 >/proc/sys/kernel/bpf_stats_enabled || { BENCH_BPF_STATS_PREV=""; return 1; }
  echo "bench: kernel.bpf_stats_enabled=1 for this run (was $BENCH_BPF_STATS_PREV; restored on exit)" >&2
}

bpf_stats_restore() {
  [[ -n $BENCH_BPF_STATS_PREV ]] || return 0
  echo "$BENCH_BPF_STATS_PREV" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null || true
  BENCH_BPF_STATS_PREV=""
}

declare -A BENCH_PROG_NAME=()  # prog id -> name (bpftool prog show id N)

# What a program does, from its name (bpftool shows at most 15 characters of a name without BTF):
# state (attached to sock:inet_sock_set_state), retrans, reset, or other.
#   tcpsight: on_state_change, on_retransmit*, on_synack_retra*, on_*reset*
#   tcpstates: handle_set_state; tcplife: inet_sock_set_state; bpftrace: inet_sock_set_s(tate)
bpf_prog_role() {
  case $1 in
    on_state_change | handle_set_state | inet_sock_set_s*) echo state ;;
    *retrans* | *_retra*) echo retrans ;;
    *reset*) echo reset ;;
    *) echo other ;;
  esac
}

# "id role run_time_ns run_cnt" for each BPF program whose fd process $1 holds: the monitor's own
# programs (another monitor's, or another session's, are held by other processes).
bpf_prog_stats() {
  local pid=$1 f id name
  for f in /proc/"$pid"/fdinfo/*; do
    [[ $(readlink "/proc/$pid/fd/${f##*/}" 2>/dev/null) == anon_inode:bpf-prog ]] || continue
    id=$(awk '$1 == "prog_id:" {print $2}' "$f" 2>/dev/null)
    [[ -n $id ]] || continue
    name=${BENCH_PROG_NAME[$id]:-}
    if [[ -z $name ]]; then
      name=$(bpftool prog show id "$id" --json 2>/dev/null | grep -o '"name":"[^"]*"' | head -n 1 | cut -d'"' -f4)
      BENCH_PROG_NAME[$id]=${name:-unknown}
    fi
    awk -v id="$id" -v role="$(bpf_prog_role "${BENCH_PROG_NAME[$id]}")" '
      $1 == "run_time_ns:" {t = $2} $1 == "run_cnt:" {c = $2}
      END {print id, role, t + 0, c + 0}' "$f" 2>/dev/null
  done
}

# Differences of two bpf_prog_stats outputs, summed per role:
# "state_ns state_cnt retrans_ns retrans_cnt reset_ns reset_cnt".
bpf_stats_delta() {
  awk 'NR == FNR {t[$1] = $3; c[$1] = $4; next}
       ($1 in t) {dt[$2] += $3 - t[$1]; dc[$2] += $4 - c[$1]}
       END {printf "%d %d %d %d %d %d\n", dt["state"], dc["state"], dt["retrans"], dc["retrans"], dt["reset"], dc["reset"]}' \
    "$1" "$2"
}

# --- cleanup ---------------------------------------------------------------------------------

# Called from the EXIT trap: nothing in it may fail (set -e would change the exit status).
bench_cleanup() {
  local pid ns
  for pid in "${BENCH_PIDS[@]}"; do
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  if [[ -n $BENCH_TMUX ]]; then tmux -L "$BENCH_TMUX" kill-server 2>/dev/null || true; fi
  for ns in "${BENCH_NETNS[@]}"; do netns_delete "$ns"; done
  bpf_stats_restore
  true
}
