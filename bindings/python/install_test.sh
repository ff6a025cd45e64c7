#!/usr/bin/env bash
# Installs the Python binding the way a user does and runs a framework with it:
#   bash bindings/python/install_test.sh MESOS_LOCAL_BIN [TASKS]
# 1. a fresh venv; `pip install ./bindings/python` (setuptools-rust builds and bundles
#    libmesos_sched); then the legacy-API example framework (examples/test_framework.py)
#    runs TASKS tasks against MESOS_LOCAL_BIN with no MESOS_SCHED_* variable and no
#    LD_LIBRARY_PATH: the bundled library is what it loads;
# 2. `pip wheel ./bindings/python` gives a py3-none-linux_<arch> wheel with the library.
# Needs Rust (cargo) and network access to PyPI (the build backend, protobuf).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mesos_local="${1:?usage: install_test.sh MESOS_LOCAL_BIN [TASKS]}"
tasks="${2:-3}"
python="${PYTHON:-python3}"

work="$(mktemp -d /tmp/mesos-sched-pyinstall.XXXXXX)"
local_pid=""
cleanup() {
  if [ -n "$local_pid" ]; then kill "$local_pid" 2>/dev/null || true; wait "$local_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "python install test: FAILED: $*" >&2; exit 1; }

# Nothing from the developer's environment may point at a library.
for var in $(env | sed -n 's/^\(MESOS_SCHED_[A-Z_]*\)=.*/\1/p'); do unset "$var"; done
unset LD_LIBRARY_PATH

"$python" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip --disable-pip-version-check)
if ! "${pip[@]}" install --quiet "$here" >"$work/pip-install.log" 2>&1; then
  cat "$work/pip-install.log" >&2; fail "pip install ./bindings/python"
fi
library="$(cd "$work" && "$work/venv/bin/python" -c 'import mesos_sched; print(mesos_sched.library_path())')"
case "$library" in
  "$work/venv/"*/mesos_sched/_lib/libmesos_sched*.so) ;;
  *) fail "the installed package loads '$library', not its bundled library" ;;
esac
echo "ok: pip install ./bindings/python bundles the library ($library)"

"$mesos_local" --ip 127.0.0.1 --port 0 >"$work/mesos-local.out" 2>"$work/mesos-local.err" &
local_pid=$!
master=""
for _ in $(seq 1 100); do
  master="$(sed -n 's|^mesos-local: listening on http://||p' "$work/mesos-local.out")"
  [ -n "$master" ] && break
  kill -0 "$local_pid" 2>/dev/null || { cat "$work/mesos-local.err" >&2; fail "mesos-local exited"; }
  sleep 0.1
done
[ -n "$master" ] || fail "mesos-local did not print its address"
# From the temp dir: the source tree must not be importable.
if ! (cd "$work" && timeout 120 "$work/venv/bin/python" "$here/examples/test_framework.py" "$master" \
    --tasks "$tasks" >"$work/framework.out" 2>&1); then
  cat "$work/framework.out" >&2; fail "the Python framework did not finish its $tasks tasks"
fi
echo "ok: mesos.native.MesosSchedulerDriver ran $tasks tasks with no MESOS_SCHED_* variable"

if ! "${pip[@]}" wheel --quiet --no-deps -w "$work/wheels" "$here" >"$work/pip-wheel.log" 2>&1; then
  cat "$work/pip-wheel.log" >&2; fail "pip wheel ./bindings/python"
fi
wheel="$(ls "$work/wheels")"
[[ "$wheel" =~ ^mesos_sched-[0-9.]+-py3-none-linux_[a-z0-9_]+\.whl$ ]] || fail "wheel name $wheel is not py3-none-linux_<arch>"
"$work/venv/bin/python" - "$work/wheels/$wheel" <<'PY' || fail "the wheel holds no library"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
libs = [n for n in names if n.startswith("mesos_sched/_lib/libmesos_sched") and n.endswith(".so")]
sys.exit(0 if libs else 1)
PY
echo "ok: pip wheel ./bindings/python gives $wheel with the library inside"
