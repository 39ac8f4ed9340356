#!/usr/bin/env bash
# `make fuzz`: coverage-guided differential fuzzing of the collectors with libFuzzer
# (gcfuzz_trace_fuzzer, built with the `fuzz` preset) for FUZZ_TIME seconds; then each
# crash is minimized with `gcfuzz minimize` and printed with the command that replays it.
# Without clang++-14 and libFuzzer it falls back to the RapidCheck campaign, `gcfuzz run`.
#
# Settings (environment; the Makefile passes its variables of the same names):
#   FUZZ_TIME          seconds of fuzzing (default 60)
#   FUZZ_JOBS          fuzzing processes, libFuzzer's -fork (default: the number of cores)
#   FUZZ_OUT           crash artifacts, their minimized traces and the log (build/fuzz-failures)
#   FUZZ_CORPUS        the working corpus, kept between runs, outside the repository
#                      (default: ${XDG_CACHE_HOME:-~/.cache}/gcfuzz/corpus)
#   GCFUZZ_COLLECTORS  comma-separated collector names or globs, as `-c`; mutants may be named
#                      (default: every collector that is not a mutant)
#   FUZZ_CLI           the gcfuzz command that replays and minimizes (default build/gcfuzz,
#                      built with the dev preset when needed)
#   FUZZ_SEED          the seed of the fallback campaign (default: the time)
#   JOBS               parallel compile jobs
# Exit status: 0 no crash, 1 a crash (or a divergence) was found, 2 a build failed or the
# fuzzer did not start (GCFUZZ_COLLECTORS matches nothing, say).
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)}
FUZZ_OUT=${FUZZ_OUT:-build/fuzz-failures}
FUZZ_CORPUS=${FUZZ_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/gcfuzz/corpus}
FUZZ_SEED=${FUZZ_SEED:-$(date +%s)}
JOBS=${JOBS:-$(nproc)}
GCFUZZ_COLLECTORS=${GCFUZZ_COLLECTORS:-}
export GCFUZZ_COLLECTORS

FUZZ_DIR=build/fuzz
FUZZER=$FUZZ_DIR/gcfuzz_trace_fuzzer
MAX_LEN=8192  # as in harness/fuzz/gcfuzz_trace_fuzzer.options; the largest seed fits

IFS=',' read -r -a patterns <<< "$GCFUZZ_COLLECTORS"

have_libfuzzer() {
  command -v clang++-14 > /dev/null || return 1
  local runtime
  runtime="$(clang++-14 -print-resource-dir)/lib/linux/libclang_rt.fuzzer-$(uname -m).a"
  [ -f "$runtime" ]
}

# The gcfuzz command, built (incrementally) with the dev preset unless FUZZ_CLI names one.
cli=""
ensure_cli() {
  [ -n "$cli" ] && return 0
  if [ -n "${FUZZ_CLI:-}" ]; then
    cli=$FUZZ_CLI
    return 0
  fi
  mkdir -p build
  if [ ! -f build/CMakeCache.txt ]; then
    cmake --preset dev > build/configure.log 2>&1 || { cat build/configure.log; exit 2; }
  fi
  echo "gcfuzz: building build/gcfuzz (dev preset)" >&2
  cmake --build --preset dev --target gcfuzz -j "$JOBS" > build/gcfuzz-build.log 2>&1 \
    || { cat build/gcfuzz-build.log; exit 2; }
  cli=build/gcfuzz
}

# ---- Without libFuzzer: the RapidCheck campaign ----

if ! have_libfuzzer; then
  echo "gcfuzz: clang++-14 with libFuzzer not found; running the RapidCheck campaign instead"
  ensure_cli
  selection=()
  for p in "${patterns[@]}"; do
    p="${p// /}"
    [ -n "$p" ] && selection+=(-c "$p")
  done
  exec "$cli" run "${selection[@]}" --time "$FUZZ_TIME" --seed "$FUZZ_SEED" --save "$FUZZ_OUT"
fi

# ---- Build the fuzz targets (quiet unless something fails) ----

mkdir -p "$FUZZ_DIR" "$FUZZ_OUT" "$FUZZ_CORPUS"
if [ ! -f "$FUZZ_DIR/CMakeCache.txt" ]; then
  cmake --preset fuzz > "$FUZZ_DIR/configure.log" 2>&1 || { cat "$FUZZ_DIR/configure.log"; exit 2; }
fi
cmake --build --preset fuzz -j "$JOBS" > "$FUZZ_DIR/build.log" 2>&1 \
  || { grep -v -E '^(\[ *[0-9]+%\]|g?make\[[0-9]+\])' "$FUZZ_DIR/build.log"; exit 2; }

# Artifacts newer than this marker are this run's.
marker="$FUZZ_OUT/.run-started"
touch "$marker"
log="$FUZZ_OUT/libfuzzer.log"
# Entropic scheduling pays for each feature an execution sets against its list of rarest
# features; the target sets thousands (every collector runs each input), so the list is kept
# short: 107 exec/s instead of 71 with the default 100 (docs/benchmarks.md).
common=(-dict="$FUZZ_DIR/gct.dict" -max_len="$MAX_LEN" -timeout=25 -artifact_prefix="$FUZZ_OUT/"
        -entropic_number_of_rarest_features=16)

echo "gcfuzz fuzz: libFuzzer, $FUZZ_JOBS process(es) for $FUZZ_TIME s, collectors: ${GCFUZZ_COLLECTORS:-every non-mutant}"
echo "  corpus: $FUZZ_CORPUS (seeded from corpus/), crashes: $FUZZ_OUT/, log: $log"
start=$(date +%s)

# 1. The working corpus and the repository's traces, once, in one process: an input that
#    already fails stops here, at the first one (fork mode would drop each such input from
#    the corpus, leaving an artifact, and fuzz on).
status=0
"$FUZZER" "${common[@]}" -runs=0 "$FUZZ_CORPUS" corpus > "$log" 2>&1 || status=$?
if [ "$status" -ne 0 ] && ! grep -q 'Test unit written' "$log"; then
  grep -v -E '^(INFO|Dictionary)' "$log" | tail -n 5 >&2  # it did not start: a bad GCFUZZ_COLLECTORS
  exit 2
fi
[ "$status" -eq 0 ] || grep -E 'Test unit written|^SUMMARY: ' "$log" || true

# 2. Fuzzing, in -fork mode: a crash in any job stops the run (-ignore_crashes=0). Shown:
#    libFuzzer's progress lines and what it says of crashes and of ending.
if [ "$status" -eq 0 ]; then
  set +e
  "$FUZZER" "${common[@]}" -fork="$FUZZ_JOBS" -ignore_crashes=0 -max_total_time="$FUZZ_TIME" \
    "$FUZZ_CORPUS" corpus 2>&1 \
    | tee -a "$log" \
    | grep --line-buffered -E '^#[0-9]+: cov:|^INFO: -fork|Test unit written|^SUMMARY: |^INFO: exiting'
  status=${PIPESTATUS[0]}
  set -e
fi
elapsed=$(($(date +%s) - start))

# ---- Summary ----

last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1 || true)
field() { sed -n -E "s|.*[ #]$1:? ([0-9]+).*|\1|p" <<< "$last"; }
if [ -n "$last" ]; then
  execs=$(sed -n -E 's/^#([0-9]+):.*/\1/p' <<< "$last")
  stats="$execs execs ($((execs / (elapsed > 0 ? elapsed : 1))) exec/s), cov $(field cov), ft $(field ft)"
else
  stats="no fuzzing (an input of the corpus fails)"
fi
corpus_size=$(find "$FUZZ_CORPUS" -type f | wc -l)
artifacts=()
while IFS= read -r f; do artifacts+=("$f"); done < <(
  find "$FUZZ_OUT" -maxdepth 1 -type f -newer "$marker" \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)

echo
echo "gcfuzz fuzz: $stats in $elapsed s; corpus $corpus_size inputs; ${#artifacts[@]} artifact(s)"

if [ ${#artifacts[@]} -eq 0 ]; then
  if [ "$status" -ne 0 ]; then
    echo "SUMMARY: gcfuzz fuzz: libFuzzer exited with status $status and no artifact; see $log"
    exit 1
  fi
  echo "SUMMARY: gcfuzz fuzz: $stats in $elapsed s: no crash"
  exit 0
fi

# ---- Each artifact: which collector fails it, minimized, and how to replay it ----

ensure_cli
# The collectors selected, by exact name (replay and minimize take globs for non-mutants only).
names=()
all=()
while IFS= read -r line; do
  name=$(sed -n -E 's/.*"name":"([^"]*)".*/\1/p' <<< "$line")
  if [ ${#patterns[@]} -eq 0 ]; then
    [[ $line == *'"mutant_of"'* ]] || names+=("$name")
  else
    all+=("$name")
  fi
done < <("$cli" list --mutants --json)
for p in "${patterns[@]}"; do
  p="${p// /}"
  for name in "${all[@]}"; do
    # shellcheck disable=SC2053  # the pattern is a glob on purpose
    [[ $name == $p ]] && names+=("$name")
  done
done

# Smallest first; one minimized trace per collector, the other artifacts only listed.
mapfile -t artifacts < <(ls -S -r "${artifacts[@]}")
minimized_for=()
duplicates=0
reproduced=0
for artifact in "${artifacts[@]}"; do
  culprit=""
  for name in "${minimized_for[@]}" "${names[@]}"; do
    if ! "$cli" replay -c "$name" "$artifact" > /dev/null 2>&1; then
      culprit=$name
      break
    fi
  done
  if [ -z "$culprit" ]; then
    echo
    echo "== $artifact"
    echo "  no selected collector fails it under gcfuzz replay; rerun the fuzzer on it:"
    echo "  $FUZZER $artifact"
    continue
  fi
  reproduced=$((reproduced + 1))
  if [[ " ${minimized_for[*]} " == *" $culprit "* ]]; then
    duplicates=$((duplicates + 1))
    continue
  fi
  minimized_for+=("$culprit")
  echo
  echo "== $artifact"
  minimized="$FUZZ_OUT/${culprit//[:~]/-}-$(basename "$artifact").gct"
  "$cli" minimize -c "$culprit" "$artifact" -o "$minimized" 2>&1 | sed 's/^/  /' || true
  echo "  minimized ($(grep -c -v '^#' "$minimized") ops), $minimized:"
  sed 's/^/    /' "$minimized"
  echo "  replay: $cli replay -c '$culprit' $minimized"
  echo "          $cli replay -c '$culprit' $artifact"
done
echo
[ "$duplicates" -eq 0 ] || echo "gcfuzz fuzz: $duplicates more artifact(s) fail on the same collectors (not minimized)"
echo "SUMMARY: gcfuzz fuzz: ${#artifacts[@]} crash artifact(s) in $elapsed s ($reproduced reproduced by gcfuzz replay) under $FUZZ_OUT/"
exit 1
