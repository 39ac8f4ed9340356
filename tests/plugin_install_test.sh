#!/usr/bin/env bash
# A collector author's path, from outside the tree: gcfuzz installed into a scratch prefix, as
# `make install` does (the dev build, then the libFuzzer driver of the fuzz-driver preset);
# examples/c-plugin copied out and built against that prefix only (its CMake package, then
# again with its pkg-config file and a bare compiler); the installed gcfuzz running `run`,
# `replay` of the installed corpus and `selftest` on the plugin; and a libFuzzer target built
# over the plugin against the installed package, fuzzing until it catches a mutant.
# Usage: plugin_install_test.sh SOURCE_DIR BINARY_DIR
set -euo pipefail
source_dir=$1
binary_dir=$2
work=$(mktemp -d /tmp/gcfuzz-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

step() { printf '== %s\n' "$*"; }

step "cmake --install into $prefix, with the libFuzzer driver (clang-14)"
cmake --install "$binary_dir" --prefix "$prefix" > "$work/install.log"
(cd "$source_dir" && cmake --preset fuzz-driver > "$work/driver-configure.log" 2>&1 &&
  cmake --build --preset fuzz-driver -j 2 > "$work/driver-build.log" 2>&1) || {
  tail -n 40 "$work/driver-configure.log" "$work/driver-build.log"; echo "FAIL: the driver did not build"; exit 1; }
cmake --install "$source_dir/build/fuzz-driver" --component fuzz --prefix "$prefix" >> "$work/install.log"
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

step "a libFuzzer target over the plugin, built against the installed package (clang-14)"
cmake -S "$work/c-plugin" -B "$work/fuzz-build" -Dgcfuzz_ROOT="$prefix" -DC_PLUGIN_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF > "$work/fuzz-configure.log"
cmake --build "$work/fuzz-build" > "$work/fuzz-build.log"
fuzzer=$work/fuzz-build/c_mark_sweep_fuzzer
mkdir -p "$work/fuzz-corpus" "$work/artifacts"
# Until it catches the mutant: libFuzzer exits non-zero with a crash artifact, a trace.
if GCFUZZ_COLLECTORS='c-mark-sweep:java~revived-not-root' "$fuzzer" -seed=1 -max_total_time=300 \
    -dict="$prefix/share/gcfuzz/fuzz/gct.dict" -artifact_prefix="$work/artifacts/" \
    "$work/fuzz-corpus" > "$work/fuzz.log" 2>&1; then
  tail -n 20 "$work/fuzz.log"; echo "FAIL: the fuzz target ran out of time without a catch"; exit 1
fi
grep 'SUMMARY: gcfuzz_trace_fuzzer' "$work/fuzz.log"
artifact=$(find "$work/artifacts" -name 'crash-*' | head -n 1)
[ -n "$artifact" ] || { echo "FAIL: no crash artifact"; exit 1; }
# The artifact is a trace the installed gcfuzz replays: the same divergence.
if "$gcfuzz" --plugin "$plugin" replay "$artifact" -c 'c-mark-sweep:java~revived-not-root' > "$work/replay.txt"; then
  cat "$work/replay.txt"; echo "FAIL: the artifact does not diverge under gcfuzz replay"; exit 1
fi
tail -n 1 "$work/replay.txt"
echo "the installed gcfuzz fuzzed a plugin built outside the tree; both mutants caught by" \
  "selftest, one by a libFuzzer target built against the installed package"
