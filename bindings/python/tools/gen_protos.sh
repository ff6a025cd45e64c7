#!/usr/bin/env bash
# Regenerates the committed *_pb2.py / *_pb2.pyi message classes of the Python package.
#
#   v1 (mesos.v1, mesos.v1.scheduler,  from the project's own proto/ at the repo root
#       mesos.v1.executor)             -> mesos_sched/v1/{,scheduler/,executor/}
#   v0 (mesos, mesos.scheduler,        derived from the same v1 files by
#       mesos.executor; legacy names)  tools/derive_v0_protos.py (SlaveID, slave_id, ...
#                                      plus its explicit v0-only list) -> mesos_sched/v0/
#
# The protoc used is the one bundled in grpcio-tools 1.62.3 (libprotoc 25.1, Python
# gencode 4.25.1): its output has no runtime version gate and works with every protobuf
# runtime from 3.20.3 to 7.x, the range pinned in pyproject.toml (run_tests.sh runs the
# suite on both ends). A newer protoc (e.g. the vendored 36.x of the Rust
# build) would emit code that refuses runtimes older than itself, so don't swap it in.
# grpcio-tools is needed only here, at generation time, in a throwaway venv.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"   # bindings/python
root="$(cd "$here/../.." && pwd)"                          # repository root
tools_venv="${GEN_PROTOS_VENV:-$here/.gen-venv}"
python="${PYTHON:-python3}"

if [ ! -x "$tools_venv/bin/python" ]; then
  "$python" -m venv "$tools_venv"
  "$tools_venv/bin/pip" install --quiet "grpcio-tools==1.62.3"
fi
protoc=("$tools_venv/bin/python" -m grpc_tools.protoc)

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

"${protoc[@]}" -I "$root/proto" --python_out="$out" --pyi_out="$out" \
  mesos/v1/mesos.proto mesos/v1/scheduler/scheduler.proto mesos/v1/executor/executor.proto
# The v0 twins are derived, never edited by hand (names, plus the explicit v0-only list).
"$python" "$root/tools/derive_v0_protos.py" "$root/proto" "$out/v0-proto"
"${protoc[@]}" -I "$out/v0-proto" --python_out="$out" --pyi_out="$out" \
  mesos/mesos.proto mesos/scheduler/scheduler.proto mesos/executor/executor.proto

pkg="$here/mesos_sched"
mkdir -p "$pkg/v1/scheduler" "$pkg/v1/executor" "$pkg/v0"
# The generated modules import each other by their proto path (`from mesos.v1 import
# mesos_pb2`); inside this package they live under mesos_sched.v1, so rewrite those
# imports (the descriptor file names in the pool stay "mesos/v1/...", as upstream's).
for ext in py pyi; do
  # The module name given to the builder becomes the classes' __module__ (pickle uses it).
  sed -e 's/^from mesos\.v1 import /from mesos_sched.v1 import /' \
      -e "s/'mesos\.v1\.mesos_pb2'/'mesos_sched.v1.mesos_pb2'/" \
    "$out/mesos/v1/mesos_pb2.$ext" > "$pkg/v1/mesos_pb2.$ext"
  sed -e 's/^from mesos\.v1 import /from mesos_sched.v1 import /' \
      -e "s/'mesos\.v1\.scheduler\.scheduler_pb2'/'mesos_sched.v1.scheduler.scheduler_pb2'/" \
    "$out/mesos/v1/scheduler/scheduler_pb2.$ext" > "$pkg/v1/scheduler/scheduler_pb2.$ext"
  sed -e 's/^from mesos\.v1 import /from mesos_sched.v1 import /' \
      -e "s/'mesos\.v1\.executor\.executor_pb2'/'mesos_sched.v1.executor.executor_pb2'/" \
    "$out/mesos/v1/executor/executor_pb2.$ext" > "$pkg/v1/executor/executor_pb2.$ext"
  sed -e "s/'mesos\.mesos_pb2'/'mesos_sched.v0.mesos_pb2'/" \
    "$out/mesos/mesos_pb2.$ext" > "$pkg/v0/mesos_pb2.$ext"
  # The v0 scheduler and executor modules sit next to mesos_pb2 (mesos_sched.v0.*_pb2).
  for api in scheduler executor; do
    sed -e "s/^from mesos import mesos_pb2/from mesos_sched.v0 import mesos_pb2/" \
        -e "s/'mesos\.$api\.${api}_pb2'/'mesos_sched.v0.${api}_pb2'/" \
      "$out/mesos/$api/${api}_pb2.$ext" > "$pkg/v0/${api}_pb2.$ext"
  done
done
if grep -rn '^from mesos\b\|^import mesos\b' "$pkg/v1" "$pkg/v0" --include='*_pb2.py'; then
  echo "gen_protos.sh: an import of the proto path was left unrewritten" >&2
  exit 1
fi
echo "gen_protos.sh: regenerated $pkg/v1 and $pkg/v0"
