#!/usr/bin/env bash
# Builds and installs libmesos_sched and mesos-local (cargo debug build,
# scripts/stage-install.sh into target/stage/dev), then the C++ API (cpp/,
# libmesos_sched_cpp) and its tests (cpptest/) and runs them three ways: plain; library
# and tests built with AddressSanitizer; and the plain binaries under valgrind memcheck.
# The build compiles every public header alone in C++11/14/17/20. Fails on any test
# failure, memory error or definite/indirect leak. Installs cmake, g++, valgrind and the
# system protobuf (protoc, libprotobuf) from apt when they are missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

missing=()
command -v cmake >/dev/null && command -v ctest >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v protoc >/dev/null || missing+=(protobuf-compiler)
[ -e /usr/include/google/protobuf/message.h ] || missing+=(libprotobuf-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "cpptest.sh: installing ${missing[*]}" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

prefix="$(bash "$root/scripts/stage-install.sh")"
mesos_local="$prefix/bin/mesos-local"
build_root="$root/target/cpptest"

run_suite() {
  local name="$1" sanitize="$2"
  local build="$build_root/$name"
  echo "== C++ tests ($name) =="
  cmake -S "$root/cpptest" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" -DMESOS_LOCAL_BIN="$mesos_local" \
    -DMESOS_SCHED_SANITIZE="$sanitize" -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build "$build" --parallel 2 >/dev/null
  ctest --test-dir "$build" --output-on-failure --timeout 300
}

run_suite plain ""
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" run_suite asan address

echo "== C++ tests (valgrind memcheck) =="
failed=0
for test in test_lifecycle test_calls "test_framework local" \
  "test_framework --failover $mesos_local"; do
  set -- $test
  log="$build_root/plain/$1.valgrind.log"
  if valgrind -q --leak-check=full --show-possibly-lost=no --show-reachable=no \
      --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
      "$build_root/plain/$1" "${@:2}" >"$log" 2>&1; then
    echo "valgrind $test: ok ($(tail -n 1 "$log"))"
  else
    echo "valgrind $test: FAILED (exit $?), log $log:"
    cat "$log"
    failed=1
  fi
done
exit $failed
