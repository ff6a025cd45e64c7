#!/usr/bin/env bash
# Runs every test of mesos-sched on a fresh machine: installs what the tests need (apt:
# cmake, valgrind, protobuf, zookeeper, ghc + libghc packages; pip packages into a venv; cargo-fuzz),
# then the Rust, C, ZooKeeper, Python, Haskell, sanitizer and fuzz suites.
# Exit status 0 only when every step passed; a failed step does not stop the others.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
step() {
  local name=$1; shift
  echo
  echo "=== $name ==="
  local start=$SECONDS
  if "$@"; then
    echo "=== $name: ok ($((SECONDS - start)) s) ==="
  else
    echo "=== $name: FAILED ($((SECONDS - start)) s) ==="
    failed+=("$name")
  fi
}

# A real ZooKeeper server for the zk:// tests (tests/zk_*.rs fail without it).
zk_dir=$(mktemp -d /tmp/mesos-sched-zk.XXXXXX)
trap 'bash scripts/zookeeper.sh clean "$zk_dir" >/dev/null 2>&1 || true' EXIT
start_zookeeper() {
  MESOS_SCHED_TEST_ZK=$(bash scripts/zookeeper.sh start "$zk_dir") || return 1
  export MESOS_SCHED_TEST_ZK
  echo "ZooKeeper on $MESOS_SCHED_TEST_ZK"
}

step "rustfmt" cargo fmt --all -- --check
step "clippy" cargo clippy --all-targets -- -D warnings
step "zookeeper server" start_zookeeper
step "rust tests (unit, integration, ABI, header drift, symbols, zk)" cargo test --all-targets --no-fail-fast
step "C tests (plain, AddressSanitizer, valgrind)" bash scripts/ctest.sh
step "C++ API tests (plain, AddressSanitizer, valgrind)" bash scripts/cpptest.sh
step "C example framework against local" bash scripts/run-example.sh
step "install (cmake --install; pkg-config, CMake and pip consumers)" bash scripts/install-test.sh
step "python binding" bash bindings/python/run_tests.sh
# As a background job of a non-interactive shell: the Ctrl-C tests set the disposition they need.
step "python Ctrl-C tests with SIGINT ignored" bash -c \
  'trap "" INT; PROTOBUF_RUNTIMES=newest bash bindings/python/run_tests.sh -k "ctrl_c or keyboard_interrupt"'
step "pymesos (PyPI) against mesos-local" bash tests/pymesos/run.sh
step "side-by-side benchmark smoke run (every client works; no timing)" bash benches/side_by_side.sh --smoke
step "haskell binding" bash bindings/haskell/run_tests.sh
step "sanitizers (ThreadSanitizer, AddressSanitizer)" bash scripts/sanitize.sh
step "fuzz (30 s per target)" bash scripts/fuzz.sh 30

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "all test steps passed"
else
  echo "failed steps: ${failed[*]}"
  exit 1
fi
