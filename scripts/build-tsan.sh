#!/usr/bin/env bash
# Configures and builds tcpsight with ThreadSanitizer into build-tsan/ (user space only; the kernel
# programs are built as in build/). test.sh runs serve's integration tests against it
# (TCPSIGHT_TSAN=1): serve is the part with threads of its own (the connection reactor, its
# workers, the scrape cache, the namespace thread). libbpf and OpenSSL are not instrumented, so a
# race inside them is not seen; their calls are made under tcpsight's own locks.
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=thread -fno-omit-frame-pointer"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build build-tsan -j"${TCPSIGHT_BUILD_JOBS:-$(nproc)}" --target "${@:-tcpsight}"
