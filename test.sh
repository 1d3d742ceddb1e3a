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
#   TCPSIGHT_ASAN=all|unit|0 ./test.sh  sanitized build: everything, unit tests (default), none
#   FUZZ_SECONDS=N ./test.sh            N s per fuzz target (default 60; 0: none)
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo --preserve-env=CI,TCPSIGHT_VM_TIMEOUT,ASAN_OPTIONS,UBSAN_OPTIONS"
$sudo ctest --test-dir build --output-on-failure --timeout 600 "$@"

# The sanitized build: unit tests in a full run by default; TCPSIGHT_ASAN=all builds and runs everything ctest
# selects (the whole build takes about 35 min of 2 cores, too long for CI's budget), 0 none.
case ${TCPSIGHT_ASAN:-unit} in
  0) ;;
  all)
    echo "=== the same tests with ASan and UBSan (build-asan) ==="
    scripts/build-asan.sh
    (source scripts/sanitizer-env.sh && $sudo ctest --test-dir build-asan --output-on-failure --timeout 900 "$@") ;;
  *)
    if (($# == 0)); then
      echo "=== unit tests with ASan and UBSan (build-asan) ==="
      scripts/build-asan.sh unit_tests
      (source scripts/sanitizer-env.sh && ctest --test-dir build-asan -L unit --output-on-failure --timeout 900)
    fi ;;
esac
(($# == 0)) || exit 0

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
