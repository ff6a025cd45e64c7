#!/usr/bin/env bash
# Builds mesos-sched with the top-level CMake project and installs it into
# target/stage/PROFILE, then prints that prefix on stdout (build output goes to stderr):
#   prefix=$(bash scripts/stage-install.sh [dev|release])
# The repo's own consumers (ctest/, examples/, the Haskell tests) build against this
# prefix the way users build against an installed library. PROFILE: dev (default,
# cargo's debug build in target/debug, shared with `cargo build`) or release.
# Installs cmake from apt when it is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
profile="${1:-dev}"

if ! command -v cmake >/dev/null; then
  echo "stage-install.sh: installing cmake" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq cmake >&2
fi

build="$root/target/stage/build-$profile"
prefix="$root/target/stage/$profile"
# The C library alone: the repo's C consumers do not need the C++ API.
cmake -S "$root" -B "$build" -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DMESOS_SCHED_CARGO_PROFILE="$profile" -DMESOS_SCHED_CPP=OFF >/dev/null
cmake --build "$build" >&2
cmake --install "$build" >/dev/null
echo "$prefix"
