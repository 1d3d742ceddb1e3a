# Sourced by test.sh for the ASan+UBSan build's tests (build-asan/): every finding fails its test.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
