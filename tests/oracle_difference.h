// Comparing a runtime's events with the model's, op for op (the ground-truth tests).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "model/model.h"

namespace gcfuzz {

// Where a runtime's per-op events first differ from what `model` expects, and how many ops
// differ. REQUIRES: observed.size() == trace.ops.size().
struct OpDifference {
  std::size_t first = 0;
  std::size_t count = 0;
  Events expected, observed;
};

inline std::optional<OpDifference> difference_per_op(const Trace& trace, Model& model,
                                                     const std::vector<Events>& observed) {
  std::optional<OpDifference> d;
  for (std::size_t i = 0; i < trace.ops.size(); ++i) {
    const Events expected = model.apply(trace.ops[i]);
    if (expected == observed[i]) continue;
    if (!d) d = OpDifference{i, 0, expected, observed[i]};
    ++d->count;
  }
  return d;
}

}  // namespace gcfuzz
