#!/usr/bin/env bash
# Runs each cargo-fuzz target for a bounded time (default 30 s each) on nightly Rust.
# Installs cargo-fuzz when missing. Longer runs: bash scripts/fuzz.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
for target in $(cargo +nightly fuzz list); do
  echo "fuzzing $target for ${seconds}s"
  # fuzz/corpus/<target> (not kept) grows from the kept seeds in fuzz/seeds/<target>.
  seeds=()
  [ -d "fuzz/seeds/$target" ] && seeds=("fuzz/corpus/$target" "fuzz/seeds/$target") && mkdir -p "fuzz/corpus/$target"
  cargo +nightly fuzz run "$target" "${seeds[@]}" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | tail -n 3
done
