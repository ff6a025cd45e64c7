#!/usr/bin/env bash
# Side-by-side benchmark: libmesos_sched from C, the Python binding, pymesos (PyPI) and a
# minimal raw HTTP client, same workloads against mesos-local --simulate, both stream
# framings, interleaved; prints a Markdown table (benches/side_by_side/run.py).
#
#   benches/side_by_side.sh [--smoke] [run.py options: --reconcile-n N --launch-n N
#                            --repetitions R --clients c,binding,pymesos,raw
#                            --framings batched,per-event]
#
# Builds the release library and mesos-local (debug with --smoke: a seconds-long run
# with small N that checks every client works, never timing), the C client, and the
# pymesos venv (which also serves the binding: protobuf).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
profile=release
extra=()
if [ "${1:-}" = "--smoke" ]; then
  shift
  profile=debug
  extra=(--reconcile-n 300 --launch-n 100 --repetitions 1)
fi
if [ "$profile" = release ]; then
  nice cargo build --quiet --release --lib --bin mesos-local
else
  cargo build --quiet --lib --bin mesos-local
fi
out="$root/target/side_by_side/$profile"
mkdir -p "$out/lib"
# The C client links as a user would, against the library's soname.
ln -sf "$root/target/$profile/libmesos_sched.so" "$out/lib/libmesos_sched.so"
ln -sf "$root/target/$profile/libmesos_sched.so" "$out/lib/libmesos_sched.so.0"
cc -O2 -Wall -Wextra -Werror -I"$root/include" -I"$root/examples" \
  -o "$out/c_client" "$root/benches/side_by_side/c_client.c" \
  -L"$out/lib" -lmesos_sched -Wl,-rpath,"$out/lib" -lpthread
python="$(bash "$root/benches/pymesos/setup_venv.sh")"
export PYTHONPATH="$root/bindings/python${PYTHONPATH:+:$PYTHONPATH}"
export MESOS_SCHED_LIBRARY="$root/target/$profile/libmesos_sched.so"
exec "$python" "$root/benches/side_by_side/run.py" --mesos-local "$root/target/$profile/mesos-local" \
  --c-client "$out/c_client" --python "$python" "${extra[@]}" "$@"
