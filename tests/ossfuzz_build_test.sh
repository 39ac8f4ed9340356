#!/bin/bash
# Runs .clusterfuzzlite/build.sh as OSS-Fuzz and ClusterFuzzLite would, with the machine's
# clang-14 and libFuzzer standing in for the builder image: CC, CXX, CFLAGS, CXXFLAGS and
# LIB_FUZZING_ENGINE set as the engine sets them for an address+fuzzer build, OUT and WORK
# fresh temporary folders. Then checks that every promised output exists and runs: each
# target over its unzipped seed corpus with its dictionary and options, and the parser
# target for a bounded campaign of random inputs.
#
# Usage: ossfuzz_build_test.sh SOURCE_DIR [PARSER_RUNS]
set -euo pipefail
source_dir="$1"
parser_runs="${2:-200000}"

if ! command -v clang++-14 > /dev/null; then
  echo "clang++-14 not found: the OSS-Fuzz build cannot be simulated" >&2
  exit 1
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/gcfuzz-ossfuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
export OUT="$scratch/out" WORK="$scratch/work" SRC="$scratch/src"
mkdir -p "$OUT" "$WORK" "$SRC"
export CC=clang-14 CXX=clang++-14
export SANITIZER_FLAGS="-fsanitize=address -fsanitize-address-use-after-scope"
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only $SANITIZER_FLAGS -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
export GCFUZZ_SOURCE="$source_dir"

echo "== build.sh (OUT=$OUT)"
bash "$source_dir/.clusterfuzzlite/build.sh" > "$scratch/build.log" 2>&1 || {
  tail -n 60 "$scratch/build.log"
  echo "FAIL: build.sh exited non-zero" >&2
  exit 1
}

status=0
for target in gcfuzz_trace_fuzzer gcfuzz_parser_fuzzer; do
  for f in "$target" "$target.dict" "$target.options" "${target}_seed_corpus.zip"; do
    if [ ! -s "$OUT/$f" ]; then
      echo "FAIL: \$OUT/$f missing or empty" >&2
      status=1
    fi
  done
  [ -x "$OUT/$target" ] || { echo "FAIL: $target is not executable" >&2; status=1; }
  grep -qx "dict = $target.dict" "$OUT/$target.options" ||
    { echo "FAIL: $target.options does not name $target.dict" >&2; status=1; }
done
[ "$status" -eq 0 ] || exit 1

seeds="$scratch/seeds"
mkdir -p "$seeds"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "$OUT/gcfuzz_trace_fuzzer_seed_corpus.zip" "$seeds"
count=$(find "$seeds" -name '*.gct' | wc -l)
echo "== seed corpus: $count traces"
[ "$count" -ge 10 ] || { echo "FAIL: seed corpus has $count traces" >&2; exit 1; }

# Each options file's [libfuzzer] settings, as flags.
options_of() {
  sed -n '/^\[libfuzzer\]/,/^\[/{/^[a-z_]* *=/p}' "$OUT/$1.options" \
    | sed -E 's/^([a-z_]+) *= *(.*)$/-\1=\2/' \
    | sed -E "s|^-dict=(.*)$|-dict=$OUT/\1|"
}

run() {
  local target="$1"
  shift
  echo "== $target $*"
  # shellcheck disable=SC2046
  (cd "$scratch" && "$OUT/$target" $(options_of "$target") "$@") > "$scratch/$target.log" 2>&1 || {
    tail -n 40 "$scratch/$target.log"
    echo "FAIL: $target exited non-zero" >&2
    exit 1
  }
  grep -E '^(INFO: seed corpus|#[0-9]+ *DONE|Done [0-9]+ runs)' "$scratch/$target.log" || true
}

# The differential target replays the whole seed corpus (every trace must agree), then
# mutates it for a while.
mkdir -p "$scratch/work-trace"
run gcfuzz_trace_fuzzer -runs=1500 -seed=1 "$scratch/work-trace" "$seeds"
# The parser target: a bounded campaign of arbitrary bytes.
mkdir -p "$scratch/work-parser"
run gcfuzz_parser_fuzzer -runs="$parser_runs" -seed=1 "$scratch/work-parser" "$seeds"
echo "PASS: build.sh outputs in \$OUT build and run"
