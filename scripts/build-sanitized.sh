#!/usr/bin/env bash
# scripts/build-sanitized.sh asan|tsan [TARGET...]
#
# Configures and builds tcpsight with sanitizers (user space only: the kernel programs are the
# same objects as in build/), all of it or only TARGETs:
#   asan  AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/; UBSan does not recover,
#         so a finding fails the test. test.sh builds unit_tests and tcpsight here.
#   tsan  ThreadSanitizer into build-tsan/ (default target: tcpsight). test.sh runs serve's
#         integration tests against it on request (TCPSIGHT_TSAN=1): serve is the command with
#         threads of its own (the connection reactor, its workers, the scrape cache, the namespace
#         thread). libbpf and OpenSSL are not instrumented, so a race inside them is not seen.
set -euo pipefail
cd "$(dirname "$0")/.."
case ${1:-} in
  asan) dir=build-asan sanitize=address,undefined extra="-fno-sanitize-recover=all"; shift ;;
  tsan) dir=build-tsan sanitize=thread extra=""; shift; (($#)) || set -- tcpsight ;;
  *) sed -n '2p' "$0" | sed 's/^# /usage: /' >&2; exit 2 ;;
esac
flags="-fsanitize=$sanitize $extra -fno-omit-frame-pointer"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$sanitize" >/dev/null
cmake --build "$dir" -j"${TCPSIGHT_BUILD_JOBS:-$(nproc)}" ${1:+--target "$@"}
