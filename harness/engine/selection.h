// Which collectors a command runs: `-c NAME` (repeatable; `*` matches any run of
// characters), or by default every registered collector that is not a mutant.
#pragma once

#include "harness/engine/layer.h"

#include <string>
#include <vector>

#include "gcfuzz/collector.hpp"

namespace gcfuzz {

struct Selection {
  std::vector<const CollectorInfo*> collectors;
  std::string error;  // non-empty: a pattern matched nothing (a usage error)
};

// Patterns may name mutants; a pattern with `*` matches mutants only if include_mutants.
Selection select_collectors(const std::vector<std::string>& patterns, bool include_mutants = false);

}  // namespace gcfuzz
