// Collector comparison, the engine behind `gcfuzz compare`: the same named workloads through
// each collector, each (collector, workload) in a child process with a time limit, giving
// agreement with the model, the events observed, and what the collector's own calls cost.
// The result is a gcfuzz-compare/1 JSON object (docs/compare-json.md).
#pragma once

#include "harness/campaigns/layer.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcfuzz/collector.hpp"
#include "harness/trace/workloads.h"
#include "model/ops.h"

namespace gcfuzz {

enum class WorkloadKind : std::uint8_t { corpus, random, synthetic };

struct Workload {
  std::string name;  // corpus | random | <shape>-<size>, as in 1k, 100k, 1M
  WorkloadKind kind = WorkloadKind::synthetic;
  std::optional<Shape> shape;  // synthetic
  std::size_t objects = 0;     // synthetic
  std::string description;
  std::vector<Trace> traces;
  // In lockstep with the model (agreement, events). A synthetic heap not checked is only
  // timed, the collector alone.
  bool checked = true;
};

// `list-100k` for (list, 100000); sizes that are a whole number of thousands or millions get
// a k or M suffix.
std::string synthetic_name(Shape shape, std::size_t objects);
// Parses `<shape>-<size>` (size: a number with an optional k or M); nullopt if it is not one.
std::optional<std::pair<Shape, std::size_t>> parse_synthetic_name(std::string_view name);

// Every workload name `compare` knows without being told a size, and the default selection.
std::vector<std::string> known_workload_names();
std::vector<std::string> default_workload_names();

struct CompareProgress {
  std::size_t done = 0;   // (collector, workload) runs finished
  std::size_t total = 0;  // of this many
  std::string collector;
  std::string workload;
  std::size_t ops = 0;  // ops done in the run in progress
  std::size_t of_ops = 0;
  double seconds = 0;
};

struct CompareOptions {
  bool fork = true;
  std::chrono::milliseconds quiet_limit{std::chrono::seconds(120)};  // a hang, after this
  std::function<void(const CompareProgress&)> on_progress;           // at least every few s
};

// Runs `workloads` (traces built) through `collectors` (registry collectors, not external
// ones). Returns the object of docs/compare-json.md without `command`, `seconds` and
// `mutation_score`, which the caller adds.
nlohmann::json run_comparison(const std::vector<const CollectorInfo*>& collectors,
                              const std::vector<Workload>& workloads,
                              const CompareOptions& options);

// "AddressSanitizer+UBSan, -O1" or "release, -O2": what the timings were measured on.
std::string build_description();

}  // namespace gcfuzz
