// The registry's storage and gcfuzz's own collectors. Adding a collector to gcfuzz's tree: its
// folder, plus one line in GCFUZZ_COLLECTOR_FOLDERS.
#include "collectors/registry.h"

#include <span>
#include <stdexcept>
#include <string>

// Each folder defines `std::span<const CollectorInfo> gcfuzz::<folder>_collectors()`: the
// collector's registered names and its mutants. The installed libFuzzer driver has none
// (GCFUZZ_NO_BUILTIN_COLLECTORS): it fuzzes the plugin linked into it.
#ifdef GCFUZZ_NO_BUILTIN_COLLECTORS
#define GCFUZZ_COLLECTOR_FOLDERS(X)
#else
#define GCFUZZ_COLLECTOR_FOLDERS(X) \
  X(refcount)                       \
  X(trial_deletion)                 \
  X(mark_sweep)                     \
  X(semispace)                      \
  X(incremental)                    \
  X(bacon_rajan)                    \
  X(generational)                   \
  GCFUZZ_CPYTHON_FOLDER(X)          \
  GCFUZZ_BOEHM_FOLDER(X)            \
  GCFUZZ_LUA_FOLDER(X)
#endif

// The real collectors, when built (CMake options GCFUZZ_CPYTHON, GCFUZZ_BOEHM, GCFUZZ_LUA).
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
#ifdef GCFUZZ_HAVE_LUA
#define GCFUZZ_LUA_FOLDER(X) X(lua)
#else
#define GCFUZZ_LUA_FOLDER(X)
#endif

namespace gcfuzz {

#define GCFUZZ_DECLARE(folder) std::span<const CollectorInfo> folder##_collectors();
GCFUZZ_COLLECTOR_FOLDERS(GCFUZZ_DECLARE)
#undef GCFUZZ_DECLARE

namespace {

std::deque<CollectorInfo>& entries() {
  static std::deque<CollectorInfo> all = [] {
    std::deque<CollectorInfo> built_in;
#define GCFUZZ_APPEND(folder) \
  for (const CollectorInfo& info : folder##_collectors()) built_in.push_back(info);
    GCFUZZ_COLLECTOR_FOLDERS(GCFUZZ_APPEND)
#undef GCFUZZ_APPEND
    return built_in;
  }();
  return all;
}

}  // namespace

const std::deque<CollectorInfo>& registry() {
  return entries();
}

const CollectorInfo* find_collector(std::string_view name) {
  for (const CollectorInfo& info : registry()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

const CollectorInfo& add_to_registry(CollectorInfo info) {
  if (find_collector(info.name) != nullptr) {
    throw std::invalid_argument("a collector named " + std::string(info.name) +
                                " is already registered");
  }
  return entries().emplace_back(std::move(info));
}

}  // namespace gcfuzz
