#!/usr/bin/env bash
# Runs a gcfuzz command on HotSpot's collectors (docs/jvm.md), or exits 77, which ctest
# reports as skipped, when there is no JVM: no java (GCFUZZ_JAVA, or java on PATH), or no
# adapter compiled next to the gcfuzz binary (adapters/jvm/ needs javac at configure time).
# Usage: jvm_test.sh GCFUZZ ARGS...
set -euo pipefail
gcfuzz=$1
shift
java=${GCFUZZ_JAVA:-$(command -v java || true)}
if [ -z "$java" ] || ! "$java" -version >/dev/null 2>&1; then
  echo "SKIPPED: no java (set GCFUZZ_JAVA or put a JDK on PATH)"
  exit 77
fi
adapter=${GCFUZZ_JVM_ADAPTER:-$(dirname "$gcfuzz")/adapters/jvm}
if [ ! -f "$adapter/classes/gcfuzz/jvm/Adapter.class" ]; then
  echo "SKIPPED: the JVM adapter is not built ($adapter; javac was not found at configure time)"
  exit 77
fi
exec "$gcfuzz" "$@"
