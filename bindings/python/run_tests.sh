#!/usr/bin/env bash
# Runs the Python binding's tests from scratch: a venv in bindings/python/.venv with the
# package (non-editable, as users install it), pytest and the protobuf runtime; the
# Rust library and mesos-local built with `cargo build` unless given through
# MESOS_SCHED_LIBRARY / MESOS_LOCAL_BIN; then pytest. Exit code = pytest's.
# Extra arguments go to pytest (e.g. ./run_tests.sh -k kill -x).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [ -z "${MESOS_SCHED_LIBRARY:-}" ] || [ -z "${MESOS_LOCAL_BIN:-}" ]; then
  if command -v cargo >/dev/null 2>&1; then
    # Incremental: a no-op when up to date, so a changed library is never tested stale.
    (cd "$root" && cargo build --quiet --lib --bin mesos-local)
  elif [ ! -e "$root/target/debug/libmesos_sched.so" ] || [ ! -e "$root/target/debug/mesos-local" ]; then
    echo "run_tests.sh: no cargo and no built library; set MESOS_SCHED_LIBRARY and MESOS_LOCAL_BIN" >&2
    exit 2
  fi
fi
export MESOS_SCHED_LIBRARY="${MESOS_SCHED_LIBRARY:-$root/target/debug/libmesos_sched.so}"
export MESOS_LOCAL_BIN="${MESOS_LOCAL_BIN:-$root/target/debug/mesos-local}"

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pytest>=7" "pytest-timeout>=2"
# Reinstall the package itself each run so the tests see the current sources.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$here"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$here"

cd "$here"
set +e
# The pytest script (not `python -m pytest`) keeps bindings/python off sys.path, so the
# tests import the installed package, .pth hook included.
"$venv/bin/pytest" -p no:cacheprovider "$@"
status=$?
set -e
exit "$status"
