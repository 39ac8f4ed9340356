// Random differential campaigns, the engine behind `gcfuzz run` and `gcfuzz selftest`:
// generate traces (RapidCheck), run them through each collector beside its model, and
// shrink the first divergence of each collector to a small trace that shows the same check
// failing on the same collector.
//
// Traces run in a worker process (unless isolation says otherwise); a crash or a hang of a
// collector is a finding like any other, and the campaign carries on with the others.
#pragma once

#include "harness/campaigns/layer.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include <rapidcheck.h>

#include "gcfuzz/collector.hpp"
#include "harness/engine/coverage.h"
#include "harness/engine/divergence.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/trace/sizes.h"
#include "model/ops.h"

namespace gcfuzz {

struct CampaignProgress {
  std::size_t traces = 0;    // traces run through every active collector
  std::size_t ops = 0;       // their ops
  std::size_t findings = 0;  // collectors caught so far
  double seconds = 0;
};

struct CampaignOptions {
  std::uint64_t seed = 1;
  std::size_t max_traces = 1000;
  std::optional<std::chrono::milliseconds> time_limit;  // stop at whichever comes first
  std::size_t max_ops = 64;           // commands per trace, at most (an allocation burst is one)
  HeapShape heap = HeapShape::mixed;  // payload sizes and bursts (harness/trace/sizes.h)
  Isolation isolation;
  // Shrinking is budgeted in candidate traces tried, so that the same seed gives the same
  // shrunk trace on a busy machine and an idle one; the time limit is only a safety net
  // (a collector that hangs on every candidate), and the result says when it was hit.
  std::size_t shrink_tries = 5000;
  std::chrono::milliseconds shrink_time{std::chrono::minutes(10)};
  std::function<void(const CampaignProgress&)> on_progress;  // about once a second
  bool coverage = false;  // count the SPEC.md rules the traces exercise (CampaignResult)
};

struct Finding {
  Divergence divergence;  // as it shows on the shrunk trace
  Trace shrunk;
  std::size_t original_ops = 0;
  std::size_t trace_index = 0;          // which trace of the campaign exposed it (from 0)
  double seconds_to_catch = 0;          // from the start of the campaign to the end of that trace
  std::size_t shrink_steps = 0;         // shrinks accepted
  std::size_t shrink_tries = 0;         // candidates tried
  bool shrink_stopped_by_time = false;  // the safety net cut shrinking short
};

struct CollectorTally {
  const CollectorInfo* collector = nullptr;
  std::size_t traces = 0;
  std::size_t ops = 0;
  Retention retention;             // over the traces counted (conservative collectors)
  std::optional<Finding> finding;  // the campaign stops running a collector once caught
  // Traces that ended early for it, at an op it cannot express (an out-of-process collector's
  // `unsupported` reply), and the first reason it gave.
  std::size_t ended_early = 0;
  std::string first_unsupported;
};

struct CampaignResult {
  std::vector<CollectorTally> tallies;  // in the order collectors were given
  std::size_t traces = 0;
  double seconds = 0;
  SpecCoverage coverage;  // with CampaignOptions::coverage: over the traces run to the end
  bool any_finding() const;
};

CampaignResult run_campaign(std::span<const CollectorInfo* const> collectors,
                            const CampaignOptions& options);

// Trace `index` of the campaign with `seed` (the same every time), with its shrinks.
rc::Shrinkable<Trace> campaign_trace(std::uint64_t seed, std::size_t index, std::size_t max_ops,
                                     HeapShape heap = HeapShape::mixed);

struct ShrinkResult {
  Trace trace;
  std::size_t steps = 0;
  std::size_t tries = 0;
  bool stopped_by_time = false;  // max_time ran out before a local minimum or max_tries
};

// Walks `start`'s shrinks to a local minimum where `still_fails` holds, trying at most
// `max_tries` candidates for at most `max_time` (then the smallest failing trace so far).
// REQUIRES: still_fails(start.value()).
ShrinkResult shrink(const rc::Shrinkable<Trace>& start,
                    const std::function<bool(const Trace&)>& still_fails, std::size_t max_tries,
                    std::chrono::milliseconds max_time);

}  // namespace gcfuzz
