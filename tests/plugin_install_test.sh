#!/usr/bin/env bash
# A collector author's path, from outside the tree: gcfuzz installed into a scratch prefix;
# examples/c-plugin copied out and built against that prefix only (its CMake package, then
# again with its pkg-config file and a bare compiler); the installed gcfuzz running `run`,
# `replay` of the installed corpus and `selftest` on the plugin.
# Usage: plugin_install_test.sh SOURCE_DIR BINARY_DIR
set -euo pipefail
source_dir=$1
binary_dir=$2
work=$(mktemp -d /tmp/gcfuzz-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

step() { printf '== %s\n' "$*"; }

step "cmake --install into $prefix"
cmake --install "$binary_dir" --prefix "$prefix" > "$work/install.log"
gcfuzz=$prefix/bin/gcfuzz
"$gcfuzz" --version

step "examples/c-plugin, built against the installed CMake package"
cp -r "$source_dir/examples/c-plugin" "$work/c-plugin"
cmake -S "$work/c-plugin" -B "$work/build" -Dgcfuzz_ROOT="$prefix" \
  -DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF > "$work/configure.log"
grep -q "gcfuzz_DIR:PATH=$prefix/" "$work/build/CMakeCache.txt" || {
  echo "FAIL: the example did not find the gcfuzz of $prefix"; grep gcfuzz_DIR "$work/build/CMakeCache.txt"; exit 1; }
cmake --build "$work/build" > "$work/build.log"
plugin=$work/build/c_mark_sweep.so
if grep -q 'GCFUZZ_SANITIZER_FLAGS "-fsanitize' "$(find "$prefix" -name gcfuzzConfig.cmake)"; then
  # Built with gcfuzz's sanitizers: a stale pointer in the plugin traps inside gcfuzz.
  nm -D "$plugin" | grep -q __asan_ || { echo "FAIL: the plugin is not built with ASan"; exit 1; }
  echo "the plugin is built with gcfuzz's sanitizer flags"
fi

step "the same, with pkg-config and a bare compiler"
pc_dir=$(dirname "$(find "$prefix" -name gcfuzz.pc)")
export PKG_CONFIG_PATH=$pc_dir
# shellcheck disable=SC2046
cc -std=c11 -shared -fPIC $(pkg-config --cflags gcfuzz) $(pkg-config --variable=sanitizer_flags gcfuzz) \
  "$work/c-plugin/mark_sweep.c" -o "$work/by-pkg-config.so"
"$gcfuzz" --plugin "$work/by-pkg-config.so" list --mutants | grep 'c-mark-sweep:java '

step "gcfuzz list, run, replay and selftest on the plugin"
"$gcfuzz" --plugin "$plugin" list --mutants | grep 'c-mark-sweep'
"$gcfuzz" --plugin "$plugin" run -c c-mark-sweep:java --traces 2000 --quiet | tail -n 1
"$gcfuzz" --plugin "$plugin" replay -c c-mark-sweep:java "$prefix/share/gcfuzz/corpus" | tail -n 1
"$gcfuzz" --plugin "$plugin" selftest -c 'c-mark-sweep:*' \
  --suite "$prefix/share/gcfuzz/corpus/cpython" | tee "$work/selftest.txt" | tail -n 1
grep -q 'SUMMARY: gcfuzz selftest: 2/2 mutants caught' "$work/selftest.txt"
echo "the installed gcfuzz fuzzed a plugin built outside the tree; both mutants caught"
