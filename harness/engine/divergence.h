// A divergence is a value: which collector, which check (SPEC.md section 5), at which op,
// and what was expected versus observed. Only `main` turns one into an exit code.
#pragma once

#include "harness/engine/layer.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/events.h"

namespace gcfuzz {

enum class Check : std::uint8_t {
  safety,       // freed, finalized or cleared something reachable
  integrity,    // the graph read back through the collector differs from the model's
  finalizer,    // finalizer discipline: more than once where the policy says at most once
  exactness,    // an exact collector's events differ from the model's
  refcount,     // a live object's reference count differs from the model's
  expectation,  // an `expect` line of the trace does not hold
  crash,        // the collector crashed (a sanitizer report, a signal, an exception)
  timeout,      // the collector did not finish in time
};
inline constexpr std::array<std::string_view, 8> kCheckNames = {
    "safety", "integrity", "finalizer", "exactness", "refcount", "expectation", "crash", "timeout"};
constexpr std::string_view name_of(Check c) {
  return kCheckNames[static_cast<int>(c)];
}

struct Divergence {
  std::string collector;
  Check check = Check::exactness;
  std::size_t op_index = 0;  // index into the trace's ops; == ops.size() for end-of-trace checks
  std::string detail;        // one line
  std::optional<Events> expected;
  std::optional<Events> observed;
  std::string diagnostics;  // for a crash: the sanitizer's report (several lines)
  // The objects the divergence is about, where the check knows them (the object freed
  // while reachable, finalized twice, miscounted...): `show --dot` draws them in red.
  std::vector<ObjectId> objects;

  // Two divergences are "the same" for shrinking when collector and check agree.
  bool same_kind(const Divergence& other) const {
    return collector == other.collector && check == other.check;
  }
};

}  // namespace gcfuzz
