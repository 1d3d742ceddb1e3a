#!/usr/bin/env bash
# churn_overhead.sh: loopback connection-churn throughput with each monitor attached, as a ratio
# to nothing attached, measured in the same run with rounds interleaved (none idle stats ..., then
# idle stats ... none, ...), medians reported. Also each monitor's own CPU seconds per million events and
# the events it lost, and the in-kernel time of its BPF programs per run (kernel.bpf_stats_enabled).
#
# Usage: churn_overhead.sh [--rounds N] [--seconds S] [--threads K] [--closes "client server rst"]
#                          [--modes "none idle stats serve serve-lean top trace record tcpstates tcplife bpftrace"]
#                          [--no-bpf-stats]
# Needs root; TCPSIGHT and BENCH_BIN set (bench/run.sh does). Progress on stderr, table on stdout.
#
# Each run (the load, bench/churn, and its monitor) has a network namespace of its own, so tcpsight
# sees only this load (bpftrace sees every namespace: it has no such filter), and deleting it ends
# the run's TIME_WAIT sockets: no run meets the leftovers of the runs before it.
#
# Sets kernel.bpf_stats_enabled=1 for the run (every mode alike) and puts back the value it found on
# exit, Ctrl-C included; --no-bpf-stats leaves it alone (and the kns columns empty).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${TCPSIGHT:?set TCPSIGHT to the tcpsight binary}" "${BENCH_BIN:?set BENCH_BIN to the bench programs}"

rounds=3 seconds=4 threads=2 closes="client server rst" modes=$'none idle stats serve serve-lean top trace record tcpstates tcplife bpftrace'
bpf_stats=1
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2; ((rounds >= 1 && rounds <= 200)) || { echo "--rounds: 1..200" >&2; exit 2; } ;;
    --seconds) seconds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --closes) closes=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --no-bpf-stats) bpf_stats=0; shift ;;
    *) echo "usage: churn_overhead.sh [--rounds N] [--seconds S] [--threads K] [--closes LIST] [--modes LIST] [--no-bpf-stats]" >&2
       exit 2 ;;
  esac
done
[[ $modes == none* ]] || modes="none $modes"  # the baseline is always measured

WORK=$(mktemp -d /tmp/tsbench-churn.XXXXXX)
source "$here/lib.sh"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM  # through the EXIT trap: the sysctl is restored, namespaces deleted

((bpf_stats)) && { bpf_stats_enable || bpf_stats=0; }

# close round mode rate connections cpu_s events lost, then from the BPF run-time stats:
# state_ns state_cnt retrans_ns retrans_cnt reset_ns reset_cnt, then the file's bytes (record)
results=$WORK/results bytes=- missed=-
declare -A unavailable=()

# Client-closed connections leave TIME_WAIT sockets behind for 60 s, and connect() slows as they
# pile up: each run gets a fresh namespace (above) and an address of its own, and each round starts
# one mode further on, so that any drift left hits every mode alike.
read -ra mode_list <<<"$modes"
nmodes=${#mode_list[@]} c=0
for close in $closes; do
  c=$((c + 1))
  for ((r = 1; r <= rounds; r++)); do
    for ((k = 0; k < nmodes; k++)); do
      mode=${mode_list[$(((k + r - 1) % nmodes))]}
      [[ -n ${unavailable[$mode]:-} ]] && continue
      addr=127.$c.$r.$((k + 1))
      ns=tsb-churn-$$-$c-$r-$k
      netns_create "$ns"
      if ! mode_start "$mode" "$ns" "$WORK" || ! mode_ready "$mode" "$ns" "$WORK"; then
        unavailable[$mode]=${MODE_WHY:-"did not start"}
        echo "bench: $mode skipped: ${unavailable[$mode]}" >&2
        mode_stop "$mode"
        netns_delete "$ns"
        continue
      fi
      c0=0; [[ $mode != none ]] && c0=$(cpu_ticks "$MODE_PID")
      : >"$WORK/bpf.before"
      ((bpf_stats)) && [[ $mode != none ]] && bpf_prog_stats "$MODE_PID" >"$WORK/bpf.before"
      # Client closes leave TIME_WAIT on the client: 64 source addresses keep ports from running out.
      sources=1; [[ $close == client ]] && sources=64
      line=$(in_ns "$ns" "$BENCH_BIN/churn" --seconds "$seconds" --threads "$threads" --close "$close" --addr "$addr" \
        --sources "$sources")
      # stats reports once a second: wait for a report that covers the whole load.
      [[ $mode == stats ]] && sleep 1.3 || sleep 0.3
      cpu=0 crashed="" kern="0 0 0 0 0 0"
      if [[ $mode != none ]]; then
        alive "$MODE_PID" || crashed=yes
        cpu=$(ticks_to_s $(($(cpu_ticks "$MODE_PID") - c0)))
        if ((bpf_stats)); then
          bpf_prog_stats "$MODE_PID" >"$WORK/bpf.after"
          kern=$(bpf_stats_delta "$WORK/bpf.before" "$WORK/bpf.after")
        fi
      fi
      mode_stop "$mode"
      # The kernel purges the namespace's TIME_WAIT sockets in the background: let it finish.
      netns_delete "$ns"
      sleep 1
      [[ -n $crashed ]] && echo "bench: $mode exited during the load: $(head -c 300 "$WORK/$mode.err")" >&2
      events=- lost=-
      case $mode in
        stats)
          last=$(tail -n 1 "$WORK/stats.out")
          events=$(grep -o '"received":[0-9]*' <<<"$last" | head -n 1 | cut -d: -f2 || true)
          lost=$(grep -o '"lost":[0-9]*' <<<"$last" | head -n 1 | cut -d: -f2 || true) ;;
        trace)
          # "tcpsight: D events delivered; lost L: W not written..., R dropped by the ring buffer, ..."
          summary=$(grep -o 'tcpsight: [0-9]* events delivered; lost [0-9]*: [0-9]* not written[^,]*, [0-9]* dropped' \
                      "$WORK/trace.err" | tail -n 1 || true)
          if [[ -n $summary ]]; then
            read -r delivered not_written lost <<<"$(sed -E 's/^tcpsight: ([0-9]+) .*: ([0-9]+) not written.*, ([0-9]+) dropped$/\1 \2 \3/' <<<"$summary")"
            events=$((delivered + not_written + lost))
          fi ;;
        tcpstates | tcplife) lost=$(peer_lost "$WORK/$mode.err") ;;
        record)
          # events = recorded + lost, as for trace (whose lost is its ring buffer's too); bytes =
          # the compressed file; the kernel's skipped runs go to the note under the table.
          read -r recorded lost missed bytes <<<"$(record_summary "$WORK/record.err")"
          if [[ -n ${recorded:-} ]]; then events=$((recorded + lost)); else lost=- missed=- bytes=-; fi ;;
      esac
      rate=$(field rate "$line") conns=$(field connections "$line")
      echo "$close $r $mode ${rate:-0} ${conns:-0} $cpu ${events:--} ${lost:--} $kern ${bytes:--} ${missed:--}" >>"$results"
      bytes=- missed=-
      read -r kst_ns kst_n _ kretr_n _ krst_n <<<"$kern"
      printf 'bench: churn close=%s round %d/%d %-9s %8s conn/s  cpu %ss  events %s  lost %s  BPF runs: state %s (%s ns/run) rst %s retr %s\n' \
        "$close" "$r" "$rounds" "$mode" "${rate:-0}" "$cpu" "$events" "$lost" "$kst_n" \
        "$( ((kst_n)) && awk -v t="$kst_ns" -v n="$kst_n" 'BEGIN {printf "%.0f", t / n}' || echo -)" "$krst_n" "$kretr_n" >&2
      sleep 0.3
    done
  done
done

echo "## Churn overhead: connections/s kept with a monitor attached (loopback, $threads client threads, ${seconds}s x $rounds rounds per mode, interleaved)"
echo
printf '%-7s %-9s %11s %8s %8s %12s %22s %10s %8s %9s  %s\n' close mode median_cps vs_none vs_idle cpu_s/1M_ev events_lost \
  kns/state kns/rst kns/retr command
for close in $closes; do
  [[ -s $results ]] || break
  # Events per connection from the kernel's own counter (events_seen, read by `stats`).
  epc=$(awk -v c="$close" '$1==c && $3=="stats" && $7!="-" {e+=$7; n+=$5} END {if (n) printf "%.2f", e/n}' "$results")
  epc_note="kernel events_seen"
  [[ -n $epc ]] || { epc=10; epc_note="estimated: 10 state events per connection"; }
  for mode in $modes; do
    [[ -n ${unavailable[$mode]:-} ]] && { printf '%-7s %-9s %s\n' "$close" "$mode" "skipped: ${unavailable[$mode]}"; continue; }
    awk -v c="$close" -v m="$mode" -v epc="$epc" -v cmd="$(mode_command "$mode")" '
      function med(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
        return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
      }
      $1 == c && $3 == "none" { nb++; base[nb] = $4 }
      $1 == c && $3 == "idle" { ni++; idle[ni] = $4 }
      $1 == c && $3 == m { k++; rate[k] = $4; conns += $5; cpu += $6
                           if ($7 != "-") { ev += $7; counted = 1 }
                           if ($8 != "-") { lost += $8; lost_counted = 1 }
                           kt["state"] += $9; kn["state"] += $10; kt["retr"] += $11; kn["retr"] += $12
                           kt["rst"] += $13; kn["rst"] += $14 }
      END {
        if (!k) exit
        r = med(rate, k); b = nb ? med(base, nb) : 0; i = ni ? med(idle, ni) : 0
        events = conns * epc
        cpu_per = (m == "none" || !events) ? "-" : sprintf("%.2f", cpu / events * 1e6)
        if (counted && lost_counted && (m == "trace" || m == "record")) lost_txt = sprintf("%d of %d (%.2f%%)", lost, ev, ev ? 100 * lost / ev : 0)
        else if (lost_counted) lost_txt = sprintf("%d", lost)
        else lost_txt = "-"
        for (p in kn) kns[p] = kn[p] ? sprintf("%.0f", kt[p] / kn[p]) : "-"
        printf "%-7s %-9s %11d %8s %8s %12s %22s %10s %8s %9s  %s\n", c, m, r, (b ? sprintf("%.3f", r / b) : "-"),
               (i ? sprintf("%.3f", r / i) : "-"), cpu_per, lost_txt, kns["state"], kns["rst"], kns["retr"], cmd
      }' "$results"
  done
  echo "        (${close}: $epc events per connection, $epc_note)"
  awk -v c="$close" '$1 == c && $3 == "record" && $15 != "-" { b += $15; e += $7; m += $16; n++ }
    END { if (n && e) printf "        (%s: record wrote %.1f bytes per event: %d bytes for %d events in %d files; the kernel skipped %d runs)\n", c, b / e, b, e, n, m }' \
    "$results"
done
echo
echo "vs_none: median rate / median rate with nothing attached; vs_idle: against the idle control"
echo "(sleep), whose distance from 1.000 is the noise floor. cpu_s/1M_ev: the monitor's own CPU"
echo "(utime+stime) per million events in its namespace; for trace, lost counts the events the ring"
echo "buffer had no room for, out of events shown + lost; for tcpstates and tcplife, the events their"
echo "\"lost N events on CPU #C\" lines on stderr report (their perf buffer was full). For record, lost"
echo "is ring buffer full + not written in time, out of recorded + lost, from its summary line; the"
echo "runs the kernel skipped (its \"missed by the kernel\", a program interrupted on its CPU by the same"
echo "tracepoint: no tracer sees those) are in the note under the table, with the compressed files' bytes"
echo "per event."
if ((bpf_stats)); then
  echo "kns/state: in-kernel ns per state change: run_time_ns / run_cnt of the monitor's program on"
  echo "sock:inet_sock_set_state (kernel.bpf_stats_enabled=1), over all rounds; kns/rst and kns/retr: the same for"
  echo "its reset and retransmit programs, when they ran. The program's own run only: for a classic"
  echo "tracepoint (bpftrace, tcpstates, tcplife) the kernel first fills a perf trace record, which is not"
  echo "counted; tcpsight's tp_btf programs are called without it. Runs are counted machine-wide: a tcpsight"
  echo "program also runs (and returns at once) for other namespaces' events."
fi
