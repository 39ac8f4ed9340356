// Shrinks a failing trace while the same divergence reproduces (same collector, same kind
// of check): delta debugging over ops, then simpler arguments, then canonical variable
// names. Works on any trace (crash artifacts, hand-written ones), unlike RapidCheck's
// shrinking, which needs the generator's shrink tree.
#pragma once

#include "harness/trace/layer.h"

#include <cstddef>
#include <functional>

#include "model/ops.h"

namespace gcfuzz {

struct MinimizeResult {
  Trace trace;
  std::size_t tests = 0;  // candidate traces run
};

// REQUIRES: still_fails(trace). ENSURES: still_fails(result.trace), and no single op can be
// removed, no argument simplified, without losing the failure (a local minimum).
MinimizeResult minimize(const Trace& trace, const std::function<bool(const Trace&)>& still_fails,
                        std::size_t max_tests = 20000);

}  // namespace gcfuzz
