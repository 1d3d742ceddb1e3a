#!/usr/bin/env bash
# Configures and builds tcpsight, its unit and integration tests with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-asan/ (the kernel programs are built as in build/: the
# sanitizers instrument user space only). UBSan does not recover: a finding fails the test.
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
# Arguments: only these targets (test.sh builds unit_tests alone unless TCPSIGHT_ASAN=all).
cmake --build build-asan -j"${TCPSIGHT_BUILD_JOBS:-$(nproc)}" ${1:+--target "$@"}
