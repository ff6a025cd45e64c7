#!/usr/bin/env bash
# Builds libmesos_sched and the C example framework, then runs it:
#   bash scripts/run-example.sh [MASTER [N]]
# MASTER defaults to $MESOS_MASTER, else "local" (an in-process cluster); N to 5.
# Exits with the framework's status (0 when all tasks finished).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! command -v cmake >/dev/null; then
  echo "run-example.sh: installing cmake" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq cmake >/dev/null
fi

cargo build --lib
build="$root/target/examples"
cmake -S "$root/examples" -B "$build" -DMESOS_SCHED_LIB_DIR="$root/target/debug" >/dev/null
cmake --build "$build" >/dev/null
exec "$build/test_framework" "$@"
