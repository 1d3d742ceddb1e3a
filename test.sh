#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests and the integration tests
# against the running kernel (they need root; under CI=true a test that cannot run fails), then
# the integration tests again on Debian 12's own 6.1 and 6.12 kernels in QEMU (tests/kernels).
#
#   ./test.sh                 everything
#   ./test.sh -L unit         only what ctest selects, on this kernel (arguments go to ctest)
#   TCPSIGHT_KERNELS="6.12" ./test.sh   another kernel matrix ("" for none)
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo --preserve-env=CI,TCPSIGHT_VM_TIMEOUT"
$sudo ctest --test-dir build --output-on-failure --timeout 600 "$@"
(($# == 0)) || exit 0

status=0
for kernel in ${TCPSIGHT_KERNELS-6.1 6.12}; do
  echo "=== integration tests on Linux $kernel (QEMU) ==="
  $sudo tests/kernels/run.sh "$kernel" ctest --test-dir build -L integration --output-on-failure --timeout 600 ||
    { echo "=== FAILED on Linux $kernel ==="; status=1; }
done
exit "$status"
