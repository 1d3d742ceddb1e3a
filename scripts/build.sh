#!/usr/bin/env bash
# Configures and builds tcpsight into build/ (the binary is build/tcpsight).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
