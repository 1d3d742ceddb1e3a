#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests, then the integration tests
# against the real kernel (they need root; under CI=true a test that cannot run fails).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
scripts/build.sh
sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo --preserve-env=CI"
$sudo ctest --test-dir build --output-on-failure --timeout 600 "$@"
