#!/usr/bin/env bash
# Builds libmesos_sched.so (cargo, debug) and runs the C tests in ctest/ twice: plain,
# then built with AddressSanitizer (leak detection on). Fails on any test failure,
# memory error or leak. Installs cmake from apt when it is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! command -v cmake >/dev/null || ! command -v ctest >/dev/null; then
  echo "ctest.sh: installing cmake" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq cmake >/dev/null
fi

cargo build --lib
lib_dir="$root/target/debug"
build_root="$root/target/ctest"

run_suite() {
  local name="$1" sanitize="$2"
  local build="$build_root/$name"
  echo "== C tests ($name) =="
  cmake -S "$root/ctest" -B "$build" -DMESOS_SCHED_LIB_DIR="$lib_dir" \
    -DMESOS_SCHED_SANITIZE="$sanitize" -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build "$build" --parallel 2 >/dev/null
  ctest --test-dir "$build" --output-on-failure --timeout 300
}

run_suite plain ""
# LSan intercepts malloc everywhere, including inside the Rust library.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1" \
  run_suite asan address
