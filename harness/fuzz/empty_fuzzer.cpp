// gcfuzz_empty_fuzzer: does nothing. Its executions per second are the engine's ceiling on
// this machine, the yardstick for gcfuzz_trace_fuzzer's (docs/benchmarks.md).
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) {
  return 0;
}
