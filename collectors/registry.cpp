// The one registry of collectors and mutants: it feeds the factory, `gcfuzz list`, the
// CLI's choices and the parameterized tests. Adding a collector: its folder, plus one line
// in GCFUZZ_COLLECTOR_FOLDERS.
#include <string_view>
#include <vector>

#include "collectors/api.h"

// Each folder defines `std::span<const CollectorInfo> gcfuzz::<folder>_collectors()`: the
// collector's registered names and its mutants.
#define GCFUZZ_COLLECTOR_FOLDERS(X) \
  X(refcount)                       \
  X(trial_deletion)                 \
  X(mark_sweep)                     \
  X(semispace)                      \
  X(incremental)                    \
  X(bacon_rajan)                    \
  X(generational)                   \
  GCFUZZ_CPYTHON_FOLDER(X)          \
  GCFUZZ_BOEHM_FOLDER(X)

// The real collectors, when built (CMake options GCFUZZ_CPYTHON and GCFUZZ_BOEHM).
#ifdef GCFUZZ_HAVE_CPYTHON
#define GCFUZZ_CPYTHON_FOLDER(X) X(cpython)
#else
#define GCFUZZ_CPYTHON_FOLDER(X)
#endif
#ifdef GCFUZZ_HAVE_BOEHM
#define GCFUZZ_BOEHM_FOLDER(X) X(boehm)
#else
#define GCFUZZ_BOEHM_FOLDER(X)
#endif

namespace gcfuzz {

#define GCFUZZ_DECLARE(folder) std::span<const CollectorInfo> folder##_collectors();
GCFUZZ_COLLECTOR_FOLDERS(GCFUZZ_DECLARE)
#undef GCFUZZ_DECLARE

std::span<const CollectorInfo> registry() {
  static const std::vector<CollectorInfo> all = [] {
    std::vector<CollectorInfo> entries;
#define GCFUZZ_APPEND(folder) \
  for (const CollectorInfo& info : folder##_collectors()) entries.push_back(info);
    GCFUZZ_COLLECTOR_FOLDERS(GCFUZZ_APPEND)
#undef GCFUZZ_APPEND
    return entries;
  }();
  return all;
}

const CollectorInfo* find_collector(std::string_view name) {
  for (const CollectorInfo& info : registry()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace gcfuzz
