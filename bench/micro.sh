#!/usr/bin/env bash
# micro.sh: the Google Benchmark of tcpsight's pure user-space work (bench/aggregator_bench.cpp),
# one core, medians of repetitions. No root needed.
#
# Usage: micro.sh [--min-time SECONDS] [--repetitions N] [--filter REGEX]
# Needs BENCH_BIN set (bench/run.sh does). Google Benchmark's own report on stderr, table on stdout.
set -euo pipefail
: "${BENCH_BIN:?set BENCH_BIN to the bench programs}"

min_time=0.5 repetitions=5 filter=.
while (($#)); do
  case $1 in
    --min-time) min_time=$2; shift 2 ;;
    --repetitions) repetitions=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    *) echo "usage: micro.sh [--min-time SECONDS] [--repetitions N] [--filter REGEX]" >&2; exit 2 ;;
  esac
done

if [[ ! -x $BENCH_BIN/aggregator_bench ]]; then
  echo "## Micro-benchmarks: skipped (aggregator_bench not built: install libbenchmark-dev and re-run)"
  exit 0
fi
out=$(mktemp /tmp/tsbench-micro.XXXXXX.json)
trap 'rm -f "$out"' EXIT
"$BENCH_BIN/aggregator_bench" --benchmark_min_time="$min_time" --benchmark_repetitions="$repetitions" \
  --benchmark_report_aggregates_only=true --benchmark_filter="$filter" \
  --benchmark_out="$out" --benchmark_out_format=json >&2

echo "## Micro-benchmarks: user-space cost per item on one core (median of $repetitions repetitions)"
echo
printf '%-40s %14s %16s  %s\n' benchmark cpu_time items_per_s extra
# The JSON report has one key per line; keep the median rows.
awk -F'"' '
  /"name":/ { name = $4; agg = ""; extra = ""; ips = ""; cpu = ""; unit = "" }
  /"aggregate_name":/ { agg = $4 }
  /"cpu_time":/ { v = $3; gsub(/[ :,]/, "", v); cpu = v }
  /"time_unit":/ { unit = $4 }
  /"items_per_second":/ { v = $3; gsub(/[ :,]/, "", v); ips = v }
  /"flows_evicted":/ { v = $3; gsub(/[ :,]/, "", v); extra = sprintf("flows_evicted/iteration=%.2f", v) }
  /^    }/ {
    if (agg == "median" || (agg == "" && name != "")) {
      sub(/_median$/, "", name)
      if (ips == "") rate = "-"
      else if (ips + 0 >= 1e6) rate = sprintf("%.2fM", ips / 1e6)
      else if (ips + 0 >= 1e3) rate = sprintf("%.1fk", ips / 1e3)
      else rate = sprintf("%.0f", ips)
      printf "%-40s %11.1f %-2s %16s  %s\n", name, cpu, unit, rate, extra
    }
    name = ""
  }' "$out"
echo
echo "items: events for on_event and trace rendering, records for SocketCensus::from_records, reports"
echo "for stats_json. Google Benchmark may warn that Debian's library was built as DEBUG: that is the"
echo "library's own build, not tcpsight's code."
