#!/usr/bin/env bash
# Tests the installation as a user of the C library meets it:
#   1. `cmake -S . -B BUILD -DCMAKE_INSTALL_PREFIX=PREFIX && cmake --build BUILD &&
#      cmake --install BUILD` into a temporary prefix: the files, links, soname and
#      version; DESTDIR staging;
#   2. using only PREFIX: the example framework (C) built with pkg-config and with CMake
#      find_package, shared and static, and the C++ API's framework the same two ways
#      when the C++ part is built; each run against PREFIX/bin/mesos-local with
#      LD_LIBRARY_PATH=PREFIX/lib and nothing else; each binary's NEEDED;
#   3. clear messages: an unwritable prefix, a wrong or partial prefix seen by
#      a consumer, missing protoc / libprotobuf (the C library still installs);
#   4. Python: bindings/python/install_test.sh (a fresh venv, `pip install`, a framework
#      with no MESOS_SCHED_* variable; `pip wheel`).
# Usage: bash scripts/install-test.sh [TASKS]   (TASKS per framework, default 3)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tasks="${1:-3}"

missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v readelf >/dev/null || missing+=(binutils)
command -v c++ >/dev/null || missing+=(g++)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test.sh: installing ${missing[*]}" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work="$(mktemp -d /tmp/mesos-sched-install.XXXXXX)"
local_pid=""
cleanup() {
  if [ -n "$local_pid" ]; then kill "$local_pid" 2>/dev/null || true; wait "$local_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

checks=0
fail() { echo "install-test: FAILED: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok: $*"; }
# run_logged NAME COMMAND...: runs quietly, shows the output when the command fails.
run_logged() {
  local name=$1; shift
  "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; fail "$name: exit status $?"; }
}
flat() { tr -s '[:space:]' ' '; }
# fails_with NAME TEXT COMMAND...: the command must fail and say TEXT.
fails_with() {
  local name=$1 text=$2; shift 2
  local output
  if output=$("$@" 2>&1); then fail "$name: succeeded, expected an error saying '$text'"; fi
  # CMake wraps its messages: compare with the whitespace squeezed.
  flat <<<"$output" | grep -qF -- "$text" || fail "$name: the error does not say '$text':"$'\n'"$output"
  ok "$name: fails saying '$text'"
}

version="$(sed -n 's/^version = "\([0-9.]*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
[ -n "$version" ] || fail "no version in Cargo.toml"
prefix="$work/prefix"
build="$work/build"

echo "== install into $prefix (version $version) =="
run_logged configure cmake -S "$root" -B "$build" -DCMAKE_INSTALL_PREFIX="$prefix"
run_logged build cmake --build "$build"
run_logged install cmake --install "$build"
cpp_built=0
if [ -e "$prefix/lib/pkgconfig/mesos_sched_cpp.pc" ]; then cpp_built=1; fi

lib="$prefix/lib"
[ -f "$lib/libmesos_sched.so.$version" ] && [ ! -L "$lib/libmesos_sched.so.$version" ] ||
  fail "lib/libmesos_sched.so.$version is not a regular file"
[ "$(readlink "$lib/libmesos_sched.so.0")" = "libmesos_sched.so.$version" ] ||
  fail "lib/libmesos_sched.so.0 does not link to libmesos_sched.so.$version"
[ "$(readlink "$lib/libmesos_sched.so")" = "libmesos_sched.so.0" ] ||
  fail "lib/libmesos_sched.so does not link to libmesos_sched.so.0"
readelf -d "$lib/libmesos_sched.so.$version" | grep -q '(SONAME).*\[libmesos_sched\.so\.0\]' ||
  fail "the SONAME of libmesos_sched.so.$version is not libmesos_sched.so.0"
for file in lib/libmesos_sched.a include/mesos_sched.h lib/pkgconfig/mesos_sched.pc \
  lib/cmake/MesosSched/MesosSchedConfig.cmake lib/cmake/MesosSched/MesosSchedConfigVersion.cmake; do
  [ -f "$prefix/$file" ] || fail "$file is not installed"
done
[ -x "$prefix/bin/mesos-local" ] || fail "bin/mesos-local is not installed"
ok "installed: lib/libmesos_sched.so.$version (soname libmesos_sched.so.0) with links .so.0 and .so, .a, header, .pc, CMake package, bin/mesos-local"

# DESTDIR staging: everything lands under DESTDIR, nothing at the prefix itself.
staged_prefix="$work/final-prefix"
DESTDIR="$work/destdir" run_logged install-destdir cmake --install "$build" --prefix "$staged_prefix"
[ -f "$work/destdir$staged_prefix/lib/libmesos_sched.so.$version" ] &&
  [ -f "$work/destdir$staged_prefix/lib/cmake/MesosSched/MesosSchedConfig.cmake" ] ||
  fail "DESTDIR staging did not put the files under DESTDIR"
[ ! -e "$staged_prefix" ] || fail "DESTDIR staging wrote to the prefix itself"
ok "DESTDIR staging"

echo "== consumers built using only $prefix =="
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" PKG_CONFIG_PATH=""
[ "$(pkg-config --modversion mesos_sched)" = "$version" ] || fail "pkg-config --modversion is not $version"
ok "pkg-config mesos_sched: Version $version"

consumer="$work/consumer"
mkdir -p "$consumer"
# The example framework and its protobuf wire helpers (not part of the library).
cp "$root/examples/test_framework.c" "$root/examples/mesos_wire.h" "$root/examples/pbwire.h" "$consumer/"
bin="$consumer/bin"
mkdir -p "$bin"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Werror $(pkg-config --cflags mesos_sched) "$consumer/test_framework.c" \
  -o "$bin/c-pkgconfig" $(pkg-config --libs mesos_sched)
# Static: libmesos_sched.a plus Libs.private (pkg-config --static).
static_libs="$(pkg-config --static --libs-only-l mesos_sched | sed 's/-lmesos_sched\b//')"
# shellcheck disable=SC2086
cc -std=c99 -Wall -Werror $(pkg-config --cflags mesos_sched) "$consumer/test_framework.c" \
  -o "$bin/c-pkgconfig-static" $(pkg-config --libs-only-L mesos_sched) \
  -Wl,-Bstatic -lmesos_sched -Wl,-Bdynamic $static_libs
ok "built with pkg-config (shared and static)"

cat >"$consumer/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(MesosSched $version CONFIG REQUIRED)
add_executable(c-cmake test_framework.c)
target_link_libraries(c-cmake PRIVATE MesosSched::mesos_sched)
add_executable(c-cmake-static test_framework.c)
target_link_libraries(c-cmake-static PRIVATE MesosSched::mesos_sched_static)
file(WRITE "\${CMAKE_BINARY_DIR}/found-version" "\${MesosSched_VERSION}")
EOF
# No build RPATH: the binaries find the library through LD_LIBRARY_PATH, as installed ones.
run_logged cmake-consumer cmake -S "$consumer" -B "$consumer/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_SKIP_BUILD_RPATH=ON -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
run_logged cmake-consumer-build cmake --build "$consumer/build"
[ "$(cat "$consumer/build/found-version")" = "$version" ] || fail "find_package found version $(cat "$consumer/build/found-version")"
cp "$consumer/build/c-cmake" "$consumer/build/c-cmake-static" "$bin/"
ok "built with CMake find_package(MesosSched $version) (MesosSched::mesos_sched and ::mesos_sched_static)"

shared_binaries=(c-pkgconfig c-cmake)
static_binaries=(c-pkgconfig-static c-cmake-static)
cpp_binaries=()
if [ "$cpp_built" = 1 ]; then
  # The C++ API's framework (cpptest/test_framework.cpp: 3 tasks, master as its argument).
  # protobuf comes from the system: its .pc directories follow the prefix's.
  cpp_pc_libdir="$prefix/lib/pkgconfig:$(env -u PKG_CONFIG_LIBDIR pkg-config --variable pc_path pkg-config)"
  [ "$(PKG_CONFIG_LIBDIR="$cpp_pc_libdir" pkg-config --modversion mesos_sched_cpp)" = "$version" ] ||
    fail "pkg-config --modversion mesos_sched_cpp is not $version"
  [ -f "$prefix/lib/libmesos_sched_cpp.so.$version" ] || fail "libmesos_sched_cpp.so.$version (the real name, from Cargo.toml's version) is not installed"
  cpp_consumer="$work/consumer-cpp"
  mkdir -p "$cpp_consumer"
  cp "$root/cpptest/test_framework.cpp" "$cpp_consumer/"
  # shellcheck disable=SC2046
  c++ -std=c++11 -Wall -Werror $(PKG_CONFIG_LIBDIR="$cpp_pc_libdir" pkg-config --cflags mesos_sched_cpp) \
    "$cpp_consumer/test_framework.cpp" -o "$bin/cpp-pkgconfig" \
    $(PKG_CONFIG_LIBDIR="$cpp_pc_libdir" pkg-config --libs mesos_sched_cpp) -pthread
  cat >"$cpp_consumer/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.16)
project(consumer_cpp CXX)
find_package(Threads REQUIRED)
find_package(MesosSched $version CONFIG REQUIRED COMPONENTS cpp)
add_executable(cpp-cmake test_framework.cpp)
target_link_libraries(cpp-cmake PRIVATE MesosSched::mesos_sched_cpp Threads::Threads)
EOF
  run_logged cmake-consumer-cpp cmake -S "$cpp_consumer" -B "$cpp_consumer/build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_SKIP_BUILD_RPATH=ON -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  run_logged cmake-consumer-cpp-build cmake --build "$cpp_consumer/build"
  cp "$cpp_consumer/build/cpp-cmake" "$bin/"
  cpp_binaries=(cpp-pkgconfig cpp-cmake)
  ok "C++ API: mesos_sched_cpp.pc Version $version; built with pkg-config and find_package(MesosSched COMPONENTS cpp)"
fi

for name in "${shared_binaries[@]}"; do
  needed="$(readelf -d "$bin/$name" | sed -n 's/.*(NEEDED).*\[\(libmesos_sched[^]]*\)\].*/\1/p')"
  [ "$needed" = "libmesos_sched.so.0" ] || fail "$name: NEEDED libmesos_sched entries are '$needed', not libmesos_sched.so.0"
  resolved="$(env -i LD_LIBRARY_PATH="$lib" ldd "$bin/$name" | sed -n 's/.*libmesos_sched\.so\.0 => \([^ ]*\).*/\1/p')"
  [ "$resolved" = "$lib/libmesos_sched.so.0" ] || fail "$name: libmesos_sched.so.0 resolves to '$resolved'"
done
for name in "${cpp_binaries[@]}"; do
  needed="$(readelf -d "$bin/$name" | sed -n 's/.*(NEEDED).*\[\(libmesos_sched[^]]*\)\].*/\1/p' | sort | tr '\n' ' ')"
  case "$needed" in
    "libmesos_sched.so.0 libmesos_sched_cpp.so.0 " | "libmesos_sched_cpp.so.0 ") ;;
    *) fail "$name: NEEDED libmesos_sched entries are '$needed'" ;;
  esac
  for soname in libmesos_sched.so.0 libmesos_sched_cpp.so.0; do
    resolved="$(env -i LD_LIBRARY_PATH="$lib" ldd "$bin/$name" | sed -n "s/.*$soname => \([^ ]*\).*/\1/p")"
    [ "$resolved" = "$lib/$soname" ] || fail "$name: $soname resolves to '$resolved'"
  done
done
for name in "${static_binaries[@]}"; do
  if readelf -d "$bin/$name" | grep -q 'NEEDED.*libmesos_sched'; then fail "$name: static build needs libmesos_sched.so"; fi
done
ok "NEEDED: libmesos_sched.so.0 (${shared_binaries[*]}), resolved in $lib; none for ${static_binaries[*]}${cpp_binaries:+; libmesos_sched_cpp.so.0 (${cpp_binaries[*]})}"

echo "== run against $prefix/bin/mesos-local =="
env -i PATH=/usr/bin:/bin "$prefix/bin/mesos-local" --ip 127.0.0.1 --port 0 >"$work/mesos-local.out" 2>"$work/mesos-local.err" &
local_pid=$!
master=""
for _ in $(seq 1 100); do
  master="$(sed -n 's|^mesos-local: listening on http://||p' "$work/mesos-local.out")"
  [ -n "$master" ] && break
  kill -0 "$local_pid" 2>/dev/null || { cat "$work/mesos-local.err" >&2; fail "mesos-local exited"; }
  sleep 0.1
done
[ -n "$master" ] || fail "mesos-local did not print its address"
for name in "${shared_binaries[@]}" "${static_binaries[@]}" "${cpp_binaries[@]}"; do
  case "$name" in
    cpp-*) args=("$master") ;;  # a fixed 3 tasks
    *) args=("$master" "$tasks") ;;
  esac
  if ! env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$lib" timeout 120 "$bin/$name" "${args[@]}" \
      >"$work/$name.out" 2>&1; then
    cat "$work/$name.out" >&2
    fail "$name: the framework did not finish its tasks"
  fi
  case "$name" in
    c-*) head -n 1 "$work/$name.out" | grep -q "^libmesos_sched $version," ||
      fail "$name: mesos_sched_version() is not $version: $(head -n 1 "$work/$name.out")" ;;
  esac
done
ok "${#shared_binaries[@]} shared and ${#static_binaries[@]} static C frameworks ran $tasks tasks each (mesos_sched_version() = $version)${cpp_binaries:+, ${#cpp_binaries[@]} C++ frameworks 3 tasks each}"

echo "== clear messages =="
fails_with "unwritable prefix" "cannot write to the install prefix /proc/mesos-sched" \
  cmake --install "$build" --prefix /proc/mesos-sched
fails_with "pkg-config, wrong prefix" "Package mesos_sched was not found" \
  env PKG_CONFIG_LIBDIR="$work/nowhere/lib/pkgconfig" pkg-config --cflags mesos_sched
fails_with "find_package, wrong prefix" "provided by \"MesosSched\"" \
  cmake -S "$consumer" -B "$work/consumer-nowhere" -DCMAKE_PREFIX_PATH="$work/nowhere" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
mkdir -p "$work/consumer-v99"
sed "s/find_package(MesosSched $version /find_package(MesosSched 99 /" "$consumer/CMakeLists.txt" >"$work/consumer-v99/CMakeLists.txt"
fails_with "find_package, incompatible version" "The following configuration files were considered but not accepted" \
  cmake -S "$work/consumer-v99" -B "$work/consumer-v99/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
cp -a "$prefix" "$work/partial"
rm "$work/partial/lib/libmesos_sched.a"
fails_with "find_package, partial install" "libmesos_sched.a is missing" \
  cmake -S "$consumer" -B "$work/consumer-partial" -DCMAKE_PREFIX_PATH="$work/partial" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF

if [ -e "$root/cpp/CMakeLists.txt" ]; then
  # Hide protoc alone (its directories), then every protobuf piece: CMake's find_* calls
  # skip the ignored directories. The tools the build needs are named explicitly.
  tools=(-DCMAKE_C_COMPILER="$(command -v cc)" -DCMAKE_MAKE_PROGRAM="$(command -v make)"
         -DCARGO="$(command -v cargo)" -DRUSTC="$(command -v rustc)")
  hide_protoc=(-DCMAKE_IGNORE_PATH="/usr/bin;/bin")
  hide_protobuf=(-DCMAKE_IGNORE_PREFIX_PATH=/usr
                 -DCMAKE_IGNORE_PATH="/usr/bin;/bin;/usr/include;/usr/lib;/usr/lib/x86_64-linux-gnu;/lib;/lib/x86_64-linux-gnu")
  no_protoc_prefix="$work/prefix-no-protoc"
  fails_with "missing protoc, MESOS_SCHED_CPP=ON" "MESOS_SCHED_CPP=ON but protoc (" \
    cmake -S "$root" -B "$work/build-no-protoc-on" -DCMAKE_INSTALL_PREFIX="$no_protoc_prefix" \
    -DMESOS_SCHED_CPP=ON "${tools[@]}" "${hide_protoc[@]}"
  run_logged configure-no-protoc cmake -S "$root" -B "$work/build-no-protoc" -DCMAKE_INSTALL_PREFIX="$no_protoc_prefix" \
    "${tools[@]}" "${hide_protoc[@]}"
  flat <"$work/configure-no-protoc.log" | grep -qF "not built: protoc (" || fail "no message naming protoc"
  if flat <"$work/configure-no-protoc.log" | grep -qF "libprotobuf and its headers"; then fail "libprotobuf named missing"; fi
  run_logged configure-no-protobuf cmake -S "$root" -B "$work/build-no-protobuf" -DCMAKE_INSTALL_PREFIX="$work/prefix-no-protobuf" \
    "${tools[@]}" "${hide_protobuf[@]}"
  flat <"$work/configure-no-protobuf.log" | grep -qF "libprotobuf and its headers (" || fail "no message naming libprotobuf"
  ok "missing protoc / libprotobuf: a warning naming each (and an error with MESOS_SCHED_CPP=ON)"
  run_logged build-no-protoc cmake --build "$work/build-no-protoc"
  run_logged install-no-protoc cmake --install "$work/build-no-protoc"
  [ -f "$no_protoc_prefix/lib/libmesos_sched.so.$version" ] && [ -f "$no_protoc_prefix/lib/pkgconfig/mesos_sched.pc" ] ||
    fail "without protoc the C library was not installed"
  [ ! -e "$no_protoc_prefix/lib/pkgconfig/mesos_sched_cpp.pc" ] || fail "without protoc the C++ part was installed"
  ok "without protoc the C library installs alone"
fi

echo "== Python =="
bash "$root/bindings/python/install_test.sh" "$prefix/bin/mesos-local" "$tasks"
checks=$((checks + 1))

echo "install-test: all $checks checks passed"
