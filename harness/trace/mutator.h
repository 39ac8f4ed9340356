// Structural mutations of traces, for coverage-guided fuzzing (libFuzzer's custom mutator
// in harness/fuzz/): a trace is mutated as ops, never as bytes, so every result is a valid
// trace and every crash artifact replays as-is. Each mutation is a small function in a table
// by name; `mutate_trace` reports the names it applied, so a finding can say how it was made.
#pragma once

#include "harness/trace/layer.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>
#include <vector>

#include "gcfuzz/vocabulary.hpp"
#include "model/ops.h"

namespace gcfuzz {

using MutationRng = std::mt19937_64;

struct MutatorOptions {
  std::size_t max_ops = 512;  // results are cut to this many ops
  // Expectations are inserted only as facts of these policies' models (`when POLICY`).
  // Empty: no expectation is inserted.
  std::vector<Policy> policies = {Policy::pep442, Policy::pep442_whole, Policy::legacy,
                                  Policy::java,   Policy::boehm,        Policy::lua};
  // A byte-level mutator (libFuzzer's LLVMFuzzerMutate, which draws on the dictionary):
  // mutates data[0, size) in place within max_size bytes and returns the new size. When set,
  // one mutation runs it over the text of one op and keeps the result if it parses as an op.
  std::function<std::size_t(std::uint8_t* data, std::size_t size, std::size_t max_size)>
      mutate_bytes;
};

// Names of the mutations, in table order.
std::vector<std::string_view> mutation_names(const MutatorOptions& options);

// A random trace of `ops` mutator ops over a small pool of names (a, b, ... and w0, w1, ...).
Trace random_trace(MutationRng& rng, std::size_t ops, const MutatorOptions& options);

// Applies one to four mutations (insert an op or a run of ops, delete, duplicate, replace or
// swap ops, change one argument, rename a variable, insert an expectation the model meets,
// mutate one op's bytes). Returns the names of those applied, in order. ENSURES: trace.ops.size()
// <= options.max_ops; the header is left as it was; every expectation left holds in the models
// of options.policies it applies to (drop_failing_expectations).
std::vector<std::string_view> mutate_trace(Trace& trace, MutationRng& rng,
                                           const MutatorOptions& options);

// A prefix of `first`'s ops followed by a suffix of `second`'s (cut points drawn from rng),
// without a header. ENSURES: result.ops.size() <= options.max_ops; its expectations hold, as
// for mutate_trace.
Trace splice_traces(const Trace& first, const Trace& second, MutationRng& rng,
                    const MutatorOptions& options);

// Removes each expectation that the model of one of `policies` (with young collections and
// cycle collection) fails where it stands, when that policy is in its `when` filter. A
// mutation before an expectation changes what holds there; the fuzz target rejects an input
// whose expectations fail, but libFuzzer's corpus merge (-fork, -merge) keeps inputs the
// target rejected (llvm-project issue 180033), and half of a 60 s `make fuzz` corpus was such
// inputs. Removing them keeps every mutated input one the target runs.
void drop_failing_expectations(Trace& trace, const std::vector<Policy>& policies);
// Per op of `trace`: an expectation that the model of one of `policies` fails there.
std::vector<bool> failing_expectations(const Trace& trace, const std::vector<Policy>& policies);

// Removes random ops until the canonical text fits in max_bytes; returns that text.
std::string print_within(Trace& trace, std::size_t max_bytes, MutationRng& rng);

}  // namespace gcfuzz
