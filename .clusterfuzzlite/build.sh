#!/bin/bash -eu
# Builds gcfuzz's libFuzzer targets the OSS-Fuzz way: with the engine's $CC, $CXX,
# $CFLAGS, $CXXFLAGS and $LIB_FUZZING_ENGINE, into $OUT, each with its seed corpus zip,
# dictionary and options file. ClusterFuzzLite runs this file as is; for OSS-Fuzz, copy it
# beside project.yaml and the Dockerfile in projects/gcfuzz/.
#
# Outside the builder image it needs SRC (or runs from the checkout it belongs to), OUT and
# WORK; tests/ossfuzz_build_test.sh runs it that way with the machine's clang.

SOURCE_DIR="${GCFUZZ_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
if [ ! -f "$SOURCE_DIR/harness/fuzz/trace_fuzzer.cpp" ] && [ -d "${SRC:-}/gcfuzz" ]; then
  SOURCE_DIR="$SRC/gcfuzz"
fi
BUILD_DIR="${WORK:-/tmp}/gcfuzz-build"
TARGETS=(gcfuzz_trace_fuzzer gcfuzz_parser_fuzzer)

cmake -S "$SOURCE_DIR" -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_CXX_FLAGS_RELEASE="" \
  -DGCFUZZ_FUZZ=ON -DGCFUZZ_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" \
  -DGCFUZZ_CLI=OFF -DGCFUZZ_TESTS=OFF -DGCFUZZ_BENCH=OFF -DGCFUZZ_SANITIZE=OFF \
  -DGCFUZZ_CPYTHON=OFF -DGCFUZZ_BOEHM=OFF -DGCFUZZ_LUA=OFF
cmake --build "$BUILD_DIR" -j "$(nproc)" --target "${TARGETS[@]}"

# Seed corpus: every trace of the regression corpus, flat (names made unique by path).
seeds="$BUILD_DIR/seeds"
rm -rf "$seeds" && mkdir -p "$seeds"
(cd "$SOURCE_DIR/corpus" && find . -name '*.gct' | while read -r f; do
  cp "$f" "$seeds/$(echo "${f#./}" | tr / _)"
done)

for target in "${TARGETS[@]}"; do
  cp "$(find "$BUILD_DIR" -type f -name "$target" -perm -u+x | head -n 1)" "$OUT/$target"
  cp "$SOURCE_DIR/harness/fuzz/gct.dict" "$OUT/$target.dict"
  # The options name the dictionary as it is in $OUT: <target>.dict.
  sed -E "s|^dict *=.*$|dict = $target.dict|" "$SOURCE_DIR/harness/fuzz/$target.options" \
    > "$OUT/$target.options"
  rm -f "$OUT/${target}_seed_corpus.zip"
  if command -v zip > /dev/null; then
    (cd "$seeds" && zip -q -j "$OUT/${target}_seed_corpus.zip" ./*.gct)
  else
    python3 -c 'import sys, zipfile, pathlib
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for p in sorted(pathlib.Path(sys.argv[2]).glob("*.gct")): z.write(p, p.name)' \
      "$OUT/${target}_seed_corpus.zip" "$seeds"
  fi
done
