#!/usr/bin/env bash
# Builds and installs libmesos_sched into target/stage/dev (scripts/stage-install.sh),
# builds the C example framework against that install, then runs it:
#   bash scripts/run-example.sh [MASTER [N]]
# MASTER defaults to $MESOS_MASTER, else "local" (an in-process cluster); N to 5.
# Exits with the framework's status (0 when all tasks finished).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

prefix="$(bash "$root/scripts/stage-install.sh")"
build="$root/target/examples"
cmake -S "$root/examples" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$build" >/dev/null
exec "$build/test_framework" "$@"
