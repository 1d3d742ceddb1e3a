#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests and the integration tests
# against the running kernel (they need root; under CI=true a test that cannot run fails), the unit
# tests again built with ASan and UBSan (build-asan/), the fuzz targets for a bounded time
# (tests/fuzz/run.sh), then the integration tests again on Debian 12's own 6.1 and 6.12 kernels in
# QEMU (tests/kernels).
#
#   ./test.sh                 everything
#   ./test.sh -L unit         only what ctest selects, on this kernel (arguments go to ctest)
#   TCPSIGHT_KERNELS="6.12" ./test.sh   another kernel matrix ("" for none)
#   TCPSIGHT_ASAN=all|unit|0 ./test.sh  sanitized build: everything, unit tests only, none
#                                       (default: unit tests, and the host's integration tests
#                                       against the sanitized binary)
#   TCPSIGHT_TSAN=1 ./test.sh           serve's integration tests against a ThreadSanitizer build too
#   FUZZ_SECONDS=N ./test.sh            N s per fuzz target (default 60; 0: none)
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
sudo=""
[[ $(id -u) -eq 0 ]] ||
  sudo="sudo --preserve-env=CI,TCPSIGHT_VM_TIMEOUT,TCPSIGHT_BINARY,ASAN_OPTIONS,UBSAN_OPTIONS,TSAN_OPTIONS"
$sudo ctest --test-dir build --output-on-failure --timeout 600 "$@"

# Runs build/'s integration tests again (ctest arguments after $1 select which), with the tcpsight
# they run replaced by the sanitized binary $1. Every sanitizer report is written to a file under
# $1's directory, findings/ (so that a report from a process a test kills or whose stderr it does
# not read is kept too), and any such file fails the run.
# Leak detection is off here: LeakSanitizer stops the process with ptrace, which serve cannot
# allow once it has dropped its capabilities (and which Yama's ptrace_scope 2 reserves for
# CAP_SYS_PTRACE); the unit tests and the fuzz targets run with it on.
against_sanitized() {
  local binary=$1 findings rc=0
  shift
  findings=$(dirname "$binary")/findings
  rm -rf "$findings" && mkdir -p -m 1777 "$findings"
  (source scripts/sanitizer-env.sh
   export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0:log_path=$findings/asan"
   export UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$findings/ubsan"
   export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$findings/tsan${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
   export TCPSIGHT_BINARY=$PWD/$binary
   $sudo ctest --test-dir build -L integration "$@" --output-on-failure --timeout 900) || rc=1
  if compgen -G "$findings/*" >/dev/null; then
    echo "=== sanitizer reports from $binary ==="
    cat "$findings"/*
    rc=1
  fi
  return "$rc"
}

# The sanitized build. By default, in a full run: its unit tests, then build/'s integration tests
# against its tcpsight (building the integration tests too would take about 35 min of 2 cores,
# too long for CI's budget). TCPSIGHT_ASAN=all builds and runs everything ctest selects; unit the
# unit tests only; 0 none.
case ${TCPSIGHT_ASAN:-unit} in
  0) ;;
  all)
    echo "=== the same tests with ASan and UBSan (build-asan) ==="
    scripts/build-sanitized.sh asan
    (source scripts/sanitizer-env.sh && $sudo ctest --test-dir build-asan --output-on-failure --timeout 900 "$@") ;;
  *)
    if (($# == 0)); then
      echo "=== unit tests with ASan and UBSan (build-asan) ==="
      scripts/build-sanitized.sh asan unit_tests tcpsight
      (source scripts/sanitizer-env.sh && ctest --test-dir build-asan -L unit --output-on-failure --timeout 900)
      if [[ ${TCPSIGHT_ASAN:-} != unit ]]; then
        # Every integration test but the one that measures tcpsight's CPU: ASan costs about 2x.
        echo "=== integration tests against tcpsight built with ASan and UBSan (build-asan/tcpsight) ==="
        against_sanitized build-asan/tcpsight -E IdleCostsAtMostOnePercentOfACore
      fi
    fi ;;
esac
(($# == 0)) || exit 0

if [[ ${TCPSIGHT_TSAN:-0} != 0 ]]; then
  echo "=== serve's integration tests against tcpsight built with TSan (build-tsan/tcpsight) ==="
  scripts/build-sanitized.sh tsan
  against_sanitized build-tsan/tcpsight -R '^Serve'
fi

if [[ ${FUZZ_SECONDS:-60} != 0 ]]; then
  echo "=== fuzz targets (build-fuzz) ==="
  FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)} tests/fuzz/run.sh
fi

status=0
for kernel in ${TCPSIGHT_KERNELS-6.1 6.12}; do
  echo "=== integration tests on Linux $kernel (QEMU) ==="
  $sudo tests/kernels/run.sh "$kernel" ctest --test-dir build -L integration --output-on-failure --timeout 600 ||
    { echo "=== FAILED on Linux $kernel ==="; status=1; }
done
exit "$status"
