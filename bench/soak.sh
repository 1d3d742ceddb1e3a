#!/usr/bin/env bash
# soak.sh: does tcpsight stay flat under hours-like churn? Full-rate loopback churn (bench/churn) in a
# namespace of its own for --minutes, with three tcpsight processes attached at once in it:
#   serve  `tcpsight serve -A`, /metrics scraped every second by curl
#   trace  `tcpsight trace --json > /dev/null`
#   top    `tcpsight top`, in a detached tmux session (it needs a terminal)
# Every --interval seconds: VmRSS (/proc/PID/status) and open fds (/proc/PID/fd) of each, and serve's
# tcpsight_events_lost_total. At the end: a table (first/last/max RSS and fds, drift, lost events), a
# verdict and a plot of RSS over time (gnuplot) in the results directory.
#
# Usage: soak.sh [--minutes N] [--warmup S] [--interval S] [--close client|server|rst] [--out DIR]
#   --minutes N   length of the load, 1..60 (default 20; 1 for a smoke run)
#   --warmup S    seconds left out of the verdict at the start (default 120; a quarter of the run
#                 when the run is shorter than twice that)
#   --interval S  seconds between samples (default 10)
#   --close MODE  how churn closes its connections (default client: every state, TIME_WAIT)
#   --out DIR     where samples, the plot and the table go (default: bench-results/soak-<time> next
#                 to $TCPSIGHT)
# Needs root; TCPSIGHT and BENCH_BIN set (bench/run.sh does). Progress on stderr, table on stdout.
#
# Verdict: PASS when, for each process, the median RSS of the second half of the samples after the
# warm-up is within 5% of the first half's, the median fd count the same (within 1), no process
# exited, and trace and serve lost 0 events. The script exits 0 either way (a verdict is a result);
# 1 when it could not run. Ctrl-C stops it and cleans up (namespace, tmux server, processes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${TCPSIGHT:?set TCPSIGHT to the tcpsight binary}" "${BENCH_BIN:?set BENCH_BIN to the bench programs}"

usage() {
  echo "usage: soak.sh [--minutes N] [--warmup S] [--interval S] [--close client|server|rst] [--out DIR]" >&2
  exit 2
}
minutes=20 warmup=120 interval=10 close=client threads=2 out=""
while (($#)); do
  case $1 in
    --minutes) [[ ${2:-} =~ ^[0-9]+$ ]] && (($2 >= 1 && $2 <= 60)) || usage; minutes=$2; shift 2 ;;
    --warmup) [[ ${2:-} =~ ^[0-9]+$ ]] || usage; warmup=$2; shift 2 ;;
    --interval) [[ ${2:-} =~ ^[0-9]+$ ]] && (($2 >= 1)) || usage; interval=$2; shift 2 ;;
    --close) [[ ${2:-} =~ ^(client|server|rst)$ ]] || usage; close=$2; shift 2 ;;
    --out) [[ -n ${2:-} ]] || usage; out=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "bench: soak.sh needs root (BPF, network namespaces)" >&2; exit 1; }
for tool in curl tmux nsenter ip; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
[[ -x $TCPSIGHT && -x $BENCH_BIN/churn ]] || { echo "bench: build tcpsight and churn first ($TCPSIGHT, $BENCH_BIN/churn)" >&2; exit 1; }

duration=$((minutes * 60))
if ((2 * warmup >= duration)); then
  warmup=$((duration / 4))
  echo "bench: a ${minutes}-minute soak: warm-up shortened to ${warmup} s" >&2
fi
out=${out:-$(dirname "$(realpath "$TCPSIGHT")")/bench-results/soak-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

WORK=$(mktemp -d /tmp/tsbench-soak.XXXXXX)
source "$here/lib.sh"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
trap 'echo "bench: soak interrupted" >&2; exit 130' INT TERM

ns=tsb-soak-$$
netns_create "$ns"

# The three processes, attached before the load starts. mode_* keep one mode in MODE_PID and
# MODE_HELPER_PID (serve's scraper): keep each one's here.
procs=(serve trace top)
declare -A pid=() helper=() mode=([serve]=serve-all [trace]=trace [top]=top)
for p in "${procs[@]}"; do
  if ! mode_start "${mode[$p]}" "$ns" "$WORK" || ! mode_ready "${mode[$p]}" "$ns" "$WORK"; then
    echo "bench: soak: $p did not start: ${MODE_WHY:-?}" >&2
    exit 1
  fi
  pid[$p]=$MODE_PID helper[$p]=$MODE_HELPER_PID
  echo "bench: soak: $p attached (pid $MODE_PID): $(mode_command "${mode[$p]}")" >&2
done

# tcpsight_events_lost_total (user/serve/metrics_render.cpp): "?" when the scrape fails.
serve_lost() {
  local m
  m=$(in_ns "$ns" curl -sf --max-time 5 "http://127.0.0.1:$BENCH_SERVE_PORT/metrics" 2>/dev/null || true)
  awk '$1 == "tcpsight_events_lost_total" {v = $2} END {print (v == "" ? "?" : v)}' <<<"$m"
}

samples=$out/soak-samples.tsv  # t_s process rss_kb fds
lost_samples=$out/soak-serve-lost.tsv  # t_s tcpsight_events_lost_total
printf 't_s\tprocess\trss_kb\tfds\n' >"$samples"
printf 't_s\tevents_lost_total\n' >"$lost_samples"
declare -A died=()
t0=$EPOCHREALTIME last_t=-1
sample() {
  local t p rss fds
  t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}')
  last_t=$t
  local line="bench: soak $((t / 60)):$(printf %02d $((t % 60)))"
  for p in "${procs[@]}"; do
    if ! alive "${pid[$p]}"; then
      [[ -n ${died[$p]:-} ]] || { died[$p]=$t; echo "bench: soak: $p exited at ${t}s" >&2; }
      continue
    fi
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/${pid[$p]}/status" 2>/dev/null || true)
    fds=$(ls "/proc/${pid[$p]}/fd" 2>/dev/null | wc -l || true)
    [[ -n $rss ]] || continue
    printf '%s\t%s\t%s\t%s\n' "$t" "$p" "$rss" "$fds" >>"$samples"
    line+=$(printf '  %s %.1f MiB %d fds' "$p" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$fds")
  done
  local lost
  lost=$(serve_lost)
  printf '%s\t%s\n' "$t" "$lost" >>"$lost_samples"
  echo "$line  serve lost $lost" >&2
}

sample  # attached, before the load
sources=1; [[ $close == client ]] && sources=64  # as churn_overhead.sh: TIME_WAIT must not use up the ports
nsenter --net="/run/netns/$ns" -- "$BENCH_BIN/churn" --seconds "$duration" --threads "$threads" --close "$close" \
  --addr 127.0.0.1 --sources "$sources" >"$WORK/churn.out" 2>"$WORK/churn.err" &
churn_pid=$!
BENCH_PIDS+=("$churn_pid")
echo "bench: soak: churn (--close $close, $threads threads) for $minutes min, a sample every ${interval}s, warm-up ${warmup}s" >&2

k=0
while alive "$churn_pid"; do
  k=$((k + 1))
  # Sleep to the next multiple of the interval (the samples do not drift with their own cost), a
  # second at a time: the load's end and Ctrl-C are seen at once.
  while wait_s=$(awk -v a="$t0" -v b="$EPOCHREALTIME" -v t=$((k * interval)) 'BEGIN {d = a + t - b; print (d > 1 ? 1 : d > 0 ? d : 0)}') &&
    [[ $wait_s != 0 ]] && alive "$churn_pid"; do
    sleep "$wait_s"
  done
  alive "$churn_pid" || break
  sample
done
churn_rc=0; wait "$churn_pid" || churn_rc=$?
forget_pid "$churn_pid"
# After the load, unless the last sample just was.
(($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}') - last_t >= 2)) && sample
churn_line=$(tail -n 1 "$WORK/churn.out" 2>/dev/null || true)
((churn_rc == 0)) || echo "bench: soak: churn exited $churn_rc: $(one_line <"$WORK/churn.err")" >&2
final_serve_lost=$(tail -n 1 "$lost_samples" | cut -f2)
scrape_failures=$(grep -c 'scrape failed' "$WORK/scrape.err" 2>/dev/null || true)

for p in "${procs[@]}"; do
  MODE_PID=${pid[$p]} MODE_HELPER_PID=${helper[$p]}
  mode_stop "${mode[$p]}"
done
# "tcpsight: D events delivered; lost L: ..." on trace's stderr when it stops.
trace_lost=$(grep -oE 'tcpsight: [0-9]+ events delivered; lost [0-9]+' "$WORK/trace.err" | tail -n 1 | awk '{print $NF}' || true)
trace_delivered=$(grep -oE 'tcpsight: [0-9]+ events delivered' "$WORK/trace.err" | tail -n 1 | awk '{print $2}' || true)
cp "$WORK"/{serve-all,trace,top}.err "$out/" 2>/dev/null || true

# --- the table and the verdict -----------------------------------------------------------------
end_t=$(tail -n 1 "$samples" | cut -f1)
echo "## Soak: ${minutes} min of churn (--close $close), serve -A + trace + top attached at once"
echo
echo "- load: ${churn_line:-churn printed nothing}"
echo "- samples every ${interval}s; verdict on the samples after a ${warmup}s warm-up: median RSS of the second half"
echo "  against the first half's (drift), same for fds; first: attached, before the load; lost: trace's summary,"
echo "  serve's tcpsight_events_lost_total; results in $out"
echo
printf '%-6s %8s %8s %8s %8s %7s %6s %6s %6s %8s  %s\n' process rss_first rss_last rss_max drift fd_first fd_last fd_max fd_drift \
  lost verdict
verdict=PASS
for p in "${procs[@]}"; do
  case $p in
    trace) lost=${trace_lost:-?} ;;
    serve) lost=$final_serve_lost ;;
    *) lost=- ;;
  esac
  row=$(awk -F'\t' -v p="$p" -v w="$warmup" -v end="$end_t" -v lost="$lost" -v died="${died[$p]:-}" '
    function med(a, n,   i, j, t) {
      if (!n) return -1
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
      return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
    }
    NR > 1 && $2 == p {
      n++; if (n == 1) { r0 = $3; f0 = $4 } r1 = $3; f1 = $4
      if ($3 > rmax) rmax = $3; if ($4 > fmax) fmax = $4
      if ($1 >= w) {
        if ($1 < w + (end - w) / 2) { h1++; ra[h1] = $3; fa[h1] = $4 } else { h2++; rb[h2] = $3; fb[h2] = $4 }
      }
    }
    END {
      if (!n) { printf "%-6s no samples FAIL\n", p; exit }
      mr1 = med(ra, h1); mr2 = med(rb, h2); mf1 = med(fa, h1); mf2 = med(fb, h2)
      ok = 1; why = ""
      if (mr1 <= 0 || mr2 <= 0) { drift = "-"; fdd = "-"; ok = 0; why = why " too few samples" }
      else {
        d = 100 * (mr2 - mr1) / mr1; drift = sprintf("%+.1f%%", d); fdd = sprintf("%+g", mf2 - mf1)
        if (d > 5 || d < -5) { ok = 0; why = why " rss" }
        if (mf2 - mf1 > 1 || mf1 - mf2 > 1) { ok = 0; why = why " fds" }
      }
      if (lost != "-" && lost != "0") { ok = 0; why = why " lost" }
      if (died != "") { ok = 0; why = why " exited at " died "s" }
      printf "%-6s %7.1fM %7.1fM %7.1fM %8s %7d %6d %6d %6s %8s  %s\n", p, r0 / 1024, r1 / 1024, rmax / 1024, drift,
             f0, f1, fmax, fdd, lost, ok ? "ok" : "FAIL:" why
    }' "$samples")
  echo "$row"
  [[ $row == *FAIL* ]] && verdict=FAIL
done
echo
((churn_rc == 0)) || verdict=FAIL
echo "verdict: $verdict (RSS flat within 5%, fds flat within 1, no process exited, 0 events lost)"
echo "trace delivered ${trace_delivered:-?} events; serve: ${scrape_failures:-0} failed scrapes (one a second)"

# --- the plot ----------------------------------------------------------------------------------
plot=$out/soak-rss.png
if command -v gnuplot >/dev/null; then
  for p in "${procs[@]}"; do
    awk -F'\t' -v p="$p" 'NR > 1 && $2 == p {print $1 / 60, $3 / 1024}' "$samples"
    printf '\n\n'
  done >"$WORK/plot.dat"
  term="pngcairo size 1000,600"
  gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo || term="png size 1000,600"
  if gnuplot 2>"$WORK/gnuplot.err" <<EOF
set terminal $term
set output "$plot"
set title "tcpsight soak: RSS under churn (--close $close, $minutes min)"
set xlabel "minutes"
set ylabel "RSS (MiB)"
set key top left
set grid
set arrow from $(awk -v w="$warmup" 'BEGIN {print w / 60}'), graph 0 to $(awk -v w="$warmup" 'BEGIN {print w / 60}'), graph 1 nohead dashtype 2
set label "end of warm-up" at $(awk -v w="$warmup" 'BEGIN {print w / 60}'), graph 0.95 offset 0.5,0
plot "$WORK/plot.dat" index 0 with linespoints title "serve -A", \
     "" index 1 with linespoints title "trace --json", \
     "" index 2 with linespoints title "top"
EOF
  then
    echo "plot: $plot"
  else
    echo "plot: gnuplot failed: $(one_line <"$WORK/gnuplot.err")"
  fi
else
  echo "plot: skipped (gnuplot missing: Debian package gnuplot-nox)"
fi
