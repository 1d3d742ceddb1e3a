#!/usr/bin/env bash
# Builds the libFuzzer targets into build-fuzz/ (clang++, ASan and UBSan) and runs each for a
# bounded time from a copy of its seed corpus; fails on any finding (crash, sanitizer report,
# timeout, memory limit). Everything a run writes stays in build-fuzz/.
#
#   tests/fuzz/run.sh                    every target, 60 s each
#   tests/fuzz/run.sh records            only these targets
#   FUZZ_SECONDS=600 tests/fuzz/run.sh   longer runs
#   FUZZ_RSS_MB (default 2048), FUZZ_JOBS (build jobs), FUZZ_PARALLEL (targets run at once; both
#   default to the cores), FUZZ_BUILD_DIR (default build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
build=${FUZZ_BUILD_DIR:-$src/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
rss_mb=${FUZZ_RSS_MB:-2048}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DTCPSIGHT_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" --target fuzz -j"${FUZZ_JOBS:-$(nproc)}"

targets=("$@")
if ((${#targets[@]} == 0)); then
  for bin in "$build"/fuzz/fuzz_*; do targets+=("${bin##*/fuzz_}"); done
fi

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# One target: its result line goes to $run/summary; a finding prints its log's end.
fuzz_one() {
  local name=$1 bin=$build/fuzz/fuzz_$1 run=$build/fuzz-runs/$1 dict=() result execs cov
  rm -rf "$run" && mkdir -p "$run/corpus" "$run/artifacts"
  cp -r "$src/tests/fuzz/corpus/$name/." "$run/corpus/"
  [[ -f $src/tests/fuzz/$name.dict ]] && dict=(-dict="$src/tests/fuzz/$name.dict")
  echo "=== fuzz $name: ${seconds}s ==="
  # -max_len 65536: the HTTP target's request fits its socket buffer, and serve reads 32 KiB at most.
  if (cd "$run" && "$bin" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout=20 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$run/artifacts/" corpus >"$run/log" 2>&1); then
    result=ok
  else
    result=FAILED
    tail -n 60 "$run/log"
    echo "findings of $name: $(ls "$run/artifacts")"
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$run/log" | tail -1)
  printf '%-14s %-6s %10s execs  %s\n' "$name" "$result" "${execs:-?}" "$cov" >"$run/summary"
  [[ $result == ok ]]
}

# FUZZ_PARALLEL targets at once (default: one per core); each is one process on one core.
parallel=${FUZZ_PARALLEL:-$(nproc)}
status=0
running=0
for name in "${targets[@]}"; do
  [[ -x $build/fuzz/fuzz_$name ]] || { echo "no fuzz target $name" >&2; exit 2; }
  if ((running >= parallel)); then
    wait -n || status=1
    running=$((running - 1))
  fi
  fuzz_one "$name" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || status=1
  running=$((running - 1))
done
summary=()
for name in "${targets[@]}"; do summary+=("$(cat "$build/fuzz-runs/$name/summary" 2>/dev/null || echo "$name: no result")"); done
echo "=== fuzz summary (${seconds}s each; logs and findings in $build/fuzz-runs) ==="
printf '%s\n' "${summary[@]}"
exit "$status"
