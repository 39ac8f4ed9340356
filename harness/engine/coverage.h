// Spec coverage: which rules of SPEC.md (model/rules.h) a set of traces made the model
// apply, how often, and which it never reached, per model configuration (a policy, with or
// without young collections and cycle collection). `run`, `replay` and `compare` report it
// with --coverage (docs/coverage.md).
#pragma once

#include "harness/engine/layer.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gcfuzz/collector.hpp"
#include "model/model.h"
#include "model/ops.h"
#include "model/rules.h"

namespace gcfuzz {

class SpecCoverage {
 public:
  struct Row {
    ModelOptions options;
    std::uint64_t traces = 0;
    std::uint64_t ops = 0;
    std::array<std::uint64_t, kRuleCount> hits{};  // ops that applied each rule
  };

  // Runs a model under `options` over `trace`, counting the ops that applied each rule.
  void add_trace(const Trace& trace, const ModelOptions& options);
  // The same, once for each distinct model the collectors are judged against.
  void add_trace(const Trace& trace, const std::vector<const CollectorInfo*>& collectors);
  void merge(const SpecCoverage& other);

  const std::vector<Row>& rows() const { return rows_; }
  bool empty() const { return rows_.empty(); }

  // Per configuration: each rule that applies, its section and count; then the rules that
  // never fired. Lines end with '\n'.
  std::string format_text() const;
  nlohmann::json to_json() const;
  static SpecCoverage from_json(const nlohmann::json& j);

 private:
  Row& row(const ModelOptions& options);
  std::vector<Row> rows_;
};

// `pep442`, `pep442 without young collections`, `pep442 without cycle collection`.
std::string describe(const ModelOptions& options);

}  // namespace gcfuzz
