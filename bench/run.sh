#!/usr/bin/env bash
# run.sh: tcpsight's benchmark suite in one command (see bench/README.md).
#
#   sudo bench/run.sh            the full suite, about 40 minutes
#   sudo bench/run.sh --quick    a short version, under 5 minutes (a smoke run: numbers are rough)
#   sudo bench/run.sh --only soak   the soak alone: 20 minutes (not part of the default list)
#
# Options:
#   --only LIST        comma-separated parts to run: micro,memory,snapshot,churn,replay,namespaces,top,soak
#                      (default: all but soak)
#   --soak-minutes N   length of the soak (default 20, 2 with --quick)
#   --build-dir DIR    where to build (default: build, as scripts/build.sh)
#
# Builds tcpsight and the bench programs, runs each part, and prints a summary of every part's
# table at the end; the summary and the full log are kept in DIR/bench-results/<time>/.
# Benchmarks are not tests: they print ratios against a baseline measured in the same run. Run on
# a quiet machine (no builds, no tests): the load average is printed to tell.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

quick=0 only="micro,memory,snapshot,churn,replay,namespaces,top" build_dir=$repo/build soak_minutes=""
while (($#)); do
  case $1 in
    --quick) quick=1; shift ;;
    --only) only=$2; shift 2 ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift 2 ;;
    --soak-minutes) soak_minutes=$2; shift 2
      [[ $soak_minutes =~ ^[0-9]+$ ]] && ((soak_minutes >= 1 && soak_minutes <= 60)) || { echo "--soak-minutes: 1..60" >&2; exit 2; } ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: bench/run.sh [--quick] [--only micro,memory,snapshot,churn,replay,namespaces,top,soak] [--soak-minutes N] [--build-dir DIR]" >&2
       exit 2 ;;
  esac
done
for part in ${only//,/ }; do
  [[ $part =~ ^(micro|memory|snapshot|churn|replay|namespaces|top|soak)$ ]] || { echo "bench: unknown part '$part'" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "bench: needs root (BPF, network namespaces): sudo bench/run.sh" >&2; exit 1; }
for tool in cmake nsenter ip ss curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done

echo "bench: building into $build_dir" >&2
cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=(tcpsight churn flow_memory tcp_peer)
grep -q '^benchmark_DIR:PATH=.*NOTFOUND' "$build_dir/CMakeCache.txt" || targets+=(aggregator_bench)
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}" >&2

export TCPSIGHT=$build_dir/tcpsight BENCH_BIN=$build_dir/bench
results=$build_dir/bench-results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$results"
summary=$results/summary.md log=$results/log.txt

if ((quick)); then
  micro_args=(--min-time 0.05 --repetitions 3)
  memory_args=(--connections 100000)
  snapshot_args=(--sizes 20000 --runs 5)
  churn_args=(--rounds 2 --seconds 1.5)
  replay_args=(--seconds 1.5 --runs 3)
  soak_args=(--minutes "${soak_minutes:-2}")
  namespaces_args=(--counts "1 50" --big 20000 --runs 3)
  namespaces_churn_args=(--rounds 2 --seconds 1.5 --modes "none serve serve-all")
  top_args=(--pairs 1000 --seconds 2 --runs 2)
else
  micro_args=(--min-time 0.5 --repetitions 5)
  memory_args=(--connections 1000000)
  snapshot_args=(--sizes "20000 100000" --runs 10)
  churn_args=(--rounds 5 --seconds 5)
  replay_args=(--seconds 5 --runs 7)
  soak_args=(--minutes "${soak_minutes:-20}")
  namespaces_args=(--counts "1 50 200" --big 100000 --runs 9)
  namespaces_churn_args=(--rounds 7 --seconds 5 --modes "none serve serve-all")
  top_args=(--pairs 5000 --seconds 10 --runs 5)
fi

{
  echo "# tcpsight benchmarks $( ((quick)) && echo "(--quick: rough)")"
  echo
  echo "- when: $(date -Is); commit: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    [[ -n $(git -C "$repo" status --porcelain 2>/dev/null) ]] && echo " (work tree modified)")"
  echo "- machine: $(uname -r), $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} >"$summary"
if awk '{exit !($1 > 1.0)}' /proc/loadavg; then
  echo "bench: the load average is $(cut -d' ' -f1 /proc/loadavg): other work is running, numbers will be noisy" >&2
fi

start=$SECONDS
run_part() {
  local part=$1 script=$2; shift 2
  local t0=$SECONDS
  echo "bench: === $part ===" >&2
  if "$here/$script" "$@" >"$results/$part.md" 2> >(tee -a "$log" >&2); then
    cat "$results/$part.md" >>"$summary"
  else
    echo "## $part: FAILED (exit $?), see $log" >>"$summary"
  fi
  echo "" >>"$summary"
  echo "bench: $part took $((SECONDS - t0)) s" >&2
}
[[ ,$only, == *,micro,* ]] && run_part micro micro.sh "${micro_args[@]}"
[[ ,$only, == *,memory,* ]] && run_part memory memory.sh "${memory_args[@]}"
[[ ,$only, == *,snapshot,* ]] && run_part snapshot snapshot_cost.sh "${snapshot_args[@]}"
# churn: churn_overhead.sh's default modes, the peers (tcpstates, tcplife, bpftrace) included.
[[ ,$only, == *,churn,* ]] && run_part churn churn_overhead.sh "${churn_args[@]}"
[[ ,$only, == *,replay,* ]] && run_part replay replay_cost.sh "${replay_args[@]}"
[[ ,$only, == *,namespaces,* ]] && run_part namespaces namespaces.sh "${namespaces_args[@]}"
[[ ,$only, == *,namespaces,* ]] && run_part namespaces-churn churn_overhead.sh "${namespaces_churn_args[@]}"
[[ ,$only, == *,top,* ]] && run_part top top_cost.sh "${top_args[@]}"
# soak: its samples, serve/trace/top stderr and soak-rss.png go into the results directory.
[[ ,$only, == *,soak,* ]] && run_part soak soak.sh "${soak_args[@]}" --out "$results"
echo "- total time: $((SECONDS - start)) s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$summary"

echo >&2
cat "$summary"
echo
echo "(kept in $results)"
