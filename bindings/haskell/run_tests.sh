#!/usr/bin/env bash
# Builds and runs the Haskell binding's test suite (codec, Rust interop, end to end
# against mesos-local). On a fresh Debian machine it first installs GHC and the needed
# libghc packages with apt. Builds and installs the library and mesos-local into
# target/stage/dev (scripts/stage-install.sh) and links through its mesos_sched.pc.
#
# Environment:
#   MESOS_SCHED_LIBRARY_DIR  a directory with libmesos_sched.so and .so.0 to link instead
#                            (no pkg-config, no build)
#   MESOS_LOCAL_BIN          the mesos-local binary (default: the staged one, or
#                            <repo>/target/debug/mesos-local with MESOS_SCHED_LIBRARY_DIR)
#   HSPEC_ARGS               extra arguments for the suite (e.g. --match "wire codec")
# Exit code: the suite's (non-zero as well when a build step fails).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

apt_packages=(ghc cabal-install pkg-config libghc-async-dev libghc-hspec-dev libghc-quickcheck2-dev)

need_apt=0
# pkg-config: the cabal flag of that name (on) finds the staged library with it.
if ! command -v ghc >/dev/null 2>&1 || ! command -v pkg-config >/dev/null 2>&1; then
  need_apt=1
else
  for pkg in hspec QuickCheck async; do
    if [ -z "$(ghc-pkg --global --simple-output field "$pkg" name 2>/dev/null)" ]; then need_apt=1; fi
  done
fi
if [ "$need_apt" = 1 ]; then
  echo "run_tests.sh: installing GHC and Haskell packages with apt" >&2
  sudo_cmd=()
  if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${apt_packages[@]}"
fi

if [ -n "${MESOS_SCHED_LIBRARY_DIR:-}" ]; then
  # A given library directory (with libmesos_sched.so and libmesos_sched.so.0): linked
  # directly, the cabal flag pkg-config off.
  if [ ! -e "$MESOS_SCHED_LIBRARY_DIR/libmesos_sched.so" ] || [ ! -e "$MESOS_SCHED_LIBRARY_DIR/libmesos_sched.so.0" ]; then
    echo "run_tests.sh: no libmesos_sched.so and libmesos_sched.so.0 in MESOS_SCHED_LIBRARY_DIR=$MESOS_SCHED_LIBRARY_DIR" >&2
    exit 2
  fi
  lib_dir="$(cd "$MESOS_SCHED_LIBRARY_DIR" && pwd)"
  export MESOS_LOCAL_BIN="${MESOS_LOCAL_BIN:-$root/target/debug/mesos-local}"
  link_flags=(--flags=-pkg-config --extra-lib-dirs="$lib_dir")
else
  # The library installed (debug build) into target/stage/dev, found through its
  # pkg-config file as an installed library is.
  prefix="$(bash "$root/scripts/stage-install.sh")"
  lib_dir="$prefix/lib"
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export MESOS_LOCAL_BIN="${MESOS_LOCAL_BIN:-$prefix/bin/mesos-local}"
  link_flags=()
fi

# Plain Cabal through Setup.hs: no Hackage, no package index, only the global
# package database that Debian's libghc-* packages fill.
build_dir="$here/dist"
runghc Setup.hs configure --builddir="$build_dir" --enable-tests "${link_flags[@]}" \
  --ghc-options="-optl-Wl,-rpath,$lib_dir" >/dev/null
runghc Setup.hs build --builddir="$build_dir"
# Every export of every module is documented.
haddock_log="$build_dir/haddock.log"
runghc Setup.hs haddock --builddir="$build_dir" >"$haddock_log" 2>&1 || { cat "$haddock_log" >&2; exit 1; }
if grep -E '^ *[0-9]+% \(' "$haddock_log" | grep -v '^ *100% '; then
  echo "run_tests.sh: undocumented exports (see $haddock_log)" >&2
  exit 1
fi

export LD_LIBRARY_PATH="$lib_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export MESOS_SCHED_EXAMPLE_BIN="$build_dir/build/mesos-sched-example/mesos-sched-example"
set +e
# shellcheck disable=SC2086
"$build_dir/build/spec/spec" ${HSPEC_ARGS:-}
status=$?
set -e
exit "$status"
