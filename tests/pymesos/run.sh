#!/usr/bin/env bash
# Runs pymesos (from PyPI, in its own venv: benches/pymesos/setup_venv.sh) against the
# mesos-local binary through a framework's whole life (tests/pymesos/test_pymesos.py),
# once per stream framing. Builds mesos-local with cargo unless MESOS_LOCAL_BIN is set.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="$(bash "$root/benches/pymesos/setup_venv.sh")"
if [ -z "${MESOS_LOCAL_BIN:-}" ]; then
  (cd "$root" && cargo build --quiet --bin mesos-local)
  MESOS_LOCAL_BIN="$root/target/debug/mesos-local"
fi
for framing in batched per-event; do
  timeout 180 "$python" "$root/tests/pymesos/test_pymesos.py" "$MESOS_LOCAL_BIN" "$framing"
done
