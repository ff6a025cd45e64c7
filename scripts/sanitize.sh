#!/usr/bin/env bash
# Runs the Rust tests that exercise the driver's threads and the C ABI under
# ThreadSanitizer and AddressSanitizer (nightly Rust, -Zsanitizer; std rebuilt with the
# sanitizer so its synchronisation is seen). A report fails the run: races are fixed,
# not suppressed (none is suppressed). Usage: bash scripts/sanitize.sh [thread|address]...
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizers=("$@")
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(thread address)
tests=(callback_gate poll_mode driver_threads driver_semantics driver_transport
       driver_acks ffi_abi ffi_callbacks ffi_local ffi_abuse local_threads)
target=$(rustc +nightly -vV | sed -n 's/^host: //p')
if ! rustup component list --toolchain nightly --installed | grep -q '^rust-src'; then
  rustup component add rust-src --toolchain nightly
fi
test_args=()
for name in "${tests[@]}"; do test_args+=(--test "$name"); done
status=0
for sanitizer in "${sanitizers[@]}"; do
  echo "== $sanitizer sanitizer: ${tests[*]} =="
  # halt_on_error: the first report fails the test binary that made it.
  RUSTFLAGS="-Zsanitizer=$sanitizer" RUSTDOCFLAGS="-Zsanitizer=$sanitizer" \
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ASAN_OPTIONS="halt_on_error=1 detect_leaks=1" \
    cargo +nightly test -Zbuild-std --target "$target" --target-dir "target/sanitize-$sanitizer" \
      "${test_args[@]}" --no-fail-fast || status=1
  # A run without the sanitizer compiled in would pass for nothing: check one binary.
  short=${sanitizer:0:1}san
  binary=$(ls -t "target/sanitize-$sanitizer/$target/debug/deps/"ffi_abuse-* | grep -v '\.d$' | head -n 1)
  if ! nm "$binary" | grep "__${short}_init" >/dev/null; then
    echo "sanitize: $binary has no __${short}_init: $sanitizer sanitizer not compiled in"
    status=1
  fi
done
exit $status
