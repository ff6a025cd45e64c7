#!/usr/bin/env bash
# Builds and installs libmesos_sched (cargo debug build, scripts/stage-install.sh into
# target/stage/dev) and runs the C tests, built against that install, in ctest/ three ways:
# plain; built with AddressSanitizer (memory errors, leak detection on); and the plain
# binaries under valgrind memcheck (LSan scans stacks conservatively and can miss a
# leaked handle; valgrind reports it). Fails on any test failure, memory error or
# definite/indirect leak. Installs cmake and valgrind from apt when they are missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

missing=()
command -v cmake >/dev/null && command -v ctest >/dev/null || missing+=(cmake)
command -v valgrind >/dev/null || missing+=(valgrind)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ctest.sh: installing ${missing[*]}" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

prefix="$(bash "$root/scripts/stage-install.sh")"
# test_zk_failover runs the mesos-local binary (and needs MESOS_SCHED_TEST_ZK).
export MESOS_LOCAL_BIN="${MESOS_LOCAL_BIN:-$prefix/bin/mesos-local}"
build_root="$root/target/ctest"

run_suite() {
  local name="$1" sanitize="$2"
  local build="$build_root/$name"
  echo "== C tests ($name) =="
  cmake -S "$root/ctest" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DMESOS_SCHED_SANITIZE="$sanitize" -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build "$build" --parallel 2 >/dev/null
  ctest --test-dir "$build" --output-on-failure --timeout 300
}

run_suite plain ""
# LSan intercepts malloc everywhere, including inside the Rust library.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1" \
  run_suite asan address

echo "== C tests (valgrind memcheck) =="
failed=0
for test in test_args test_lifecycle test_framework_local test_header_cxx test_zk_failover \
  "example_test_framework local 3"; do
  set -- $test
  log="$build_root/plain/$1.valgrind.log"
  if valgrind -q --leak-check=full --show-possibly-lost=no --show-reachable=no \
      --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
      "$build_root/plain/$1" "${@:2}" >"$log" 2>&1; then
    echo "valgrind $1: ok ($(tail -n 1 "$log"))"
  else
    echo "valgrind $1: FAILED (exit $?), log $log:"
    cat "$log"
    failed=1
  fi
done
exit $failed
