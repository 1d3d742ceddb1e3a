#!/usr/bin/env bash
# replay_cost.sh: how fast tcpsight replays a recording. Records full loopback churn
# (bench/churn, resets: the highest event rate) with `tcpsight record` in a network namespace of
# its own, then times `trace -r` and `stats -r` over that file, rounds interleaved (hyperfine when
# installed), medians reported, as events per second and as a multiple of the rate the events
# were recorded at (how much faster than real time a replay runs).
#
# Usage: replay_cost.sh [--seconds S] [--threads K] [--runs N]
# Needs root (for the recording); TCPSIGHT and BENCH_BIN set (bench/run.sh does). Progress on
# stderr, table on stdout. No peer replays TCP-state recordings, so the baseline is the
# recording's own rate: the load's events per second while it was made.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${TCPSIGHT:?set TCPSIGHT to the tcpsight binary}" "${BENCH_BIN:?set BENCH_BIN to the bench programs}"

seconds=5 threads=2 runs=7
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --runs) runs=$2; shift 2; ((runs >= 1 && runs <= 100)) || { echo "--runs: 1..100" >&2; exit 2; } ;;
    *) echo "usage: replay_cost.sh [--seconds S] [--threads K] [--runs N]" >&2; exit 2 ;;
  esac
done

WORK=$(mktemp -d /tmp/tsbench-replay.XXXXXX)
source "$here/lib.sh"
trap 'bench_cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

ns=tsb-replay-$$
netns_create "$ns"
file=$WORK/churn.tsr
mode_start record "$ns" "$WORK" && mode_ready record "$ns" "$WORK" || die "record did not start: ${MODE_WHY:-}"
# mode_start names the file after the mode.
mv_from=$WORK/record.tsr
load=$(in_ns "$ns" "$BENCH_BIN/churn" --seconds "$seconds" --threads "$threads" --close rst --addr 127.0.0.1)
sleep 0.3  # the last chunk is sealed at most 1 s later; SIGINT seals it at once
mode_stop record
netns_delete "$ns"
mv -- "$mv_from" "$file"
read -r events lost missed bytes <<<"$(record_summary "$WORK/record.err")"
[[ -n ${events:-} ]] || die "record printed no summary: $(one_line <"$WORK/record.err")"
rate=$(field rate "$load")
echo "bench: recorded $events events ($lost lost) in $bytes bytes from $(field connections "$load") connections at $rate conn/s" >&2
# The recording's own event rate: its events over the load's length (the recorder ran a little
# longer than the load, with nothing to record before and after it).
recorded_eps=$(awk -v e="$events" -v s="$seconds" 'BEGIN {printf "%.0f", e / s}')

commands=(
  "$TCPSIGHT trace -r $file --json"
  "$TCPSIGHT trace -r $file"
  "$TCPSIGHT stats -r $file --interval 1 --json"
  "$TCPSIGHT stats -r $file --interval 0.1"
)
# Every command must replay the whole file cleanly before it is timed: exit 0 and, for trace --json, one
# line per event.
for c in "${commands[@]}"; do
  out=$($c 2>"$WORK/check.err" | wc -l) || die "'$c' failed: $(one_line <"$WORK/check.err")"
  if [[ $c == *"trace -r"*"--json" ]] && ((out != events)); then
    die "'$c' printed $out lines for $events events"
  fi
done

if command -v hyperfine >/dev/null; then
  hyperfine -N --style basic --warmup 1 --runs "$runs" --export-json "$WORK/hf.json" "${commands[@]}" >&2
  awk -F'"' '/"command":/ {cmd = $4} /"median":/ {v = $3; gsub(/[ :,]/, "", v); printf "%s\t%s\n", v, cmd}' \
    "$WORK/hf.json" >"$WORK/medians"
else  # a plain loop, rounds interleaved
  for ((i = 0; i < ${#commands[@]}; i++)); do : >"$WORK/times.$i"; done
  for ((r = 0; r < runs; r++)); do
    for ((i = 0; i < ${#commands[@]}; i++)); do
      t0=$(date +%s%N)
      ${commands[$i]} >/dev/null 2>&1
      echo $(($(date +%s%N) - t0)) >>"$WORK/times.$i"
    done
  done
  for ((i = 0; i < ${#commands[@]}; i++)); do
    printf '%s\t%s\n' "$(median <"$WORK/times.$i" | awk '{print $1 / 1e9}')" "${commands[$i]}"
  done >"$WORK/medians"
fi

echo "## Replay: a recording of full loopback churn played back (median of $runs runs)"
echo
echo "The file: $events events ($lost lost) from ${seconds}s of resets at $rate conn/s, $recorded_eps events/s;"
awk -v b="$bytes" -v e="$events" 'BEGIN {printf "%d bytes, %.1f bytes per event.\n\n", b, b / e}'
printf '%-10s %14s %11s  %s\n' median_s events_per_s x_realtime command
while IFS=$'\t' read -r median cmd; do
  awk -v m="$median" -v e="$events" -v r="$recorded_eps" -v c="${cmd//$WORK\//}" \
    'BEGIN {printf "%-10.3f %14.0f %11.1f  %s\n", m, e / m, (e / m) / r, c}'
done <"$WORK/medians"
echo
echo "events_per_s: the file's events over the command's median wall time, start-up included;"
echo "x_realtime: that over the rate the events were recorded at. Output goes to /dev/null."
