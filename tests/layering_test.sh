#!/usr/bin/env bash
# The harness's layering holds (harness/README.md): every header of a layer folder includes
# its layer.h first, and an include that reaches up a layer fails to build.
# Usage: layering_test.sh SOURCE_DIR BINARY_DIR
set -uo pipefail
source_dir=$1
binary_dir=$2
status=0

for folder in "$source_dir"/harness/*/; do
  layer=$(basename "$folder")
  [ -f "$folder/layer.h" ] || continue
  for header in "$folder"*.h; do
    [ "$(basename "$header")" = layer.h ] && continue
    # The guard must be the first include, so that nothing of the layer compiles before it.
    first=$(grep -m1 '^#include' "$header")
    if [ "$first" != "#include \"harness/$layer/layer.h\"" ]; then
      echo "FAIL: ${header#"$source_dir"/} does not include harness/$layer/layer.h first"
      status=1
    fi
  done
done
layers=$(find "$source_dir/harness" -name layer.h | wc -l)
echo "every header of $layers layer folders includes its layer.h first"

output=$(cmake --build "$binary_dir" --target gcfuzz_upward_include_probe 2>&1)
built=$?
expected='harness/report/ is above this code'"'"'s layer: only targets that link gcfuzz_report may include it'
if [ $built -eq 0 ]; then
  echo "FAIL: tests/layering/upward_include.cpp (engine code including harness/report/) built"
  status=1
elif ! grep -qF "$expected" <<<"$output"; then
  echo "FAIL: the upward include failed to build, but not for the layering:"
  tail -20 <<<"$output"
  status=1
else
  echo "an upward include (engine code including harness/report/report.h) fails to build:"
  grep -m1 -F "$expected" <<<"$output"
fi
exit $status
