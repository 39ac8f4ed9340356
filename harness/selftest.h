// The mutation score, the engine behind `gcfuzz selftest`: each known-buggy mutant against
// each driver (a RapidCheck campaign; the fixed hand-written suite corpus/cpython/ replayed;
// the libFuzzer target, where built), as a gcfuzz-selftest/1 object (docs/compare-json.md).
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "harness/commands.h"

namespace gcfuzz {

// Throws std::invalid_argument when the patterns select no mutant (the message says why).
// Progress lines, one per mutant, go to `log` when it is not null.
nlohmann::json mutation_score(const SelftestOptions& options, std::ostream* log);

}  // namespace gcfuzz
