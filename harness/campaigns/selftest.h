// The mutation score, the engine behind `gcfuzz selftest`: each known-buggy mutant against
// each driver (a RapidCheck campaign; the fixed hand-written suite corpus/cpython/ replayed;
// the libFuzzer target, where built), as a gcfuzz-selftest/1 object (docs/compare-json.md).
#pragma once

#include "harness/campaigns/layer.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gcfuzz {

// What `gcfuzz selftest` runs: which mutants, each driver's budget, the output format.
struct SelftestOptions {
  std::vector<std::string> mutants;  // default: every mutant
  std::uint64_t seed = 1;
  std::size_t traces = 20000;  // budget per mutant
  std::string heap = "mixed";  // small | large | mixed (harness/trace/sizes.h)
  double time_seconds = 120;   // budget per mutant
  bool fork = true;
  std::string format = "text";           // text | md | json
  std::string suite = "corpus/cpython";  // the fixed hand-written suite replayed per mutant
  // The libFuzzer driver: this fuzz target (the fuzz preset's gcfuzz_trace_fuzzer), run for
  // at most libfuzzer_seconds per mutant. Not run when empty.
  std::string libfuzzer;
  double libfuzzer_seconds = 30;
};

// Throws std::invalid_argument when the patterns select no mutant (the message says why).
// Progress lines, one per mutant, go to `log` when it is not null.
nlohmann::json mutation_score(const SelftestOptions& options, std::ostream* log);

}  // namespace gcfuzz
