// gcfuzz's own mark-sweep collectors, built as a plugin through the C++ layer
// (gcfuzz/plugin.hpp), their names prefixed `plugin-` so that they load beside the built-in
// copies: the same code, reached through the C ABI (tests/plugin_test.cpp, and the benchmark
// of the plugin path's cost).
#include "gcfuzz/plugin.hpp"

namespace gcfuzz {
std::span<const CollectorInfo> mark_sweep_collectors();
}  // namespace gcfuzz

extern "C" GCFUZZ_PLUGIN_EXPORT const gcfuzz_plugin_table* gcfuzz_plugin(void) {
  return gcfuzz::plugin::export_collectors(gcfuzz::mark_sweep_collectors(), "plugin-");
}
