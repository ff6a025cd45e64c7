#!/usr/bin/env bash
# Runs the Python binding's tests from scratch, once per supported protobuf runtime end:
# the oldest (venv bindings/python/.venv-protobuf-oldest, protobuf 3.20.3) and the newest
# (bindings/python/.venv, the latest protobuf the requirement allows), each with the
# package (non-editable, as users install it) and pytest; the Rust library and
# mesos-local built with `cargo build` unless given through MESOS_SCHED_LIBRARY /
# MESOS_LOCAL_BIN. Exit code: 0 only if every run passed.
# Extra arguments go to pytest (e.g. ./run_tests.sh -k kill -x); PROTOBUF_RUNTIMES
# ("oldest newest" by default) selects the runs.
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

# The oldest protobuf the requirement in pyproject.toml allows; keep the two in step.
oldest_protobuf="protobuf==3.20.3"

# setup_venv DIR PROTOBUF_SPEC: the venv with pytest, this package and that protobuf.
setup_venv() {
  local dir="$1" protobuf="$2"
  local pip=("$dir/bin/python" -m pip install --quiet --disable-pip-version-check)
  if [ ! -x "$dir/bin/python" ]; then
    "$python" -m venv "$dir"
  fi
  # mypy: tests/test_typing.py checks the shipped type information.
  "${pip[@]}" "pytest>=7" "pytest-timeout>=2" "mypy>=1.5"
  # Reinstall the package itself each run so the tests see the current sources. It
  # bundles the library under test (setup.py's MESOS_SCHED_BUNDLE) instead of having
  # setuptools-rust compile a release copy per venv; bindings/python/install_test.sh
  # (scripts/install-test.sh) covers the cargo-building `pip install`.
  MESOS_SCHED_BUNDLE="$MESOS_SCHED_LIBRARY" "${pip[@]}" --force-reinstall --no-deps "$here"
  "${pip[@]}" --upgrade "$protobuf"
}

cd "$here"
failed=0
for runtime in ${PROTOBUF_RUNTIMES:-oldest newest}; do
  case "$runtime" in
    oldest) dir="$here/.venv-protobuf-oldest"; protobuf="$oldest_protobuf" ;;
    newest) dir="$venv"; protobuf="protobuf$(sed -n 's/.*"protobuf\([^"]*\)".*/\1/p' "$here/pyproject.toml")" ;;
    *) echo "run_tests.sh: PROTOBUF_RUNTIMES: unknown '$runtime' (oldest, newest)" >&2; exit 2 ;;
  esac
  setup_venv "$dir" "$protobuf"
  echo "== protobuf $("$dir/bin/python" -c 'import google.protobuf as p; print(p.__version__)') ($runtime)"
  # The pytest script (not `python -m pytest`) keeps bindings/python off sys.path, so
  # the tests import the installed package, .pth hook included.
  "$dir/bin/pytest" -p no:cacheprovider "$@" || failed=1
done
exit "$failed"
