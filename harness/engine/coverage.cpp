// Spec coverage: a model per configuration, the rules each op fired, counted.
#include "harness/engine/coverage.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/engine/runner.h"

namespace gcfuzz {

std::string describe(const ModelOptions& options) {
  std::string text(name_of(options.policy));
  if (!options.collects_cycles) return text + " without cycle collection";
  if (!options.generational) text += " without young collections";
  return text;
}

SpecCoverage::Row& SpecCoverage::row(const ModelOptions& options) {
  for (Row& r : rows_) {
    if (r.options == options) return r;
  }
  Row& r = rows_.emplace_back();
  r.options = options;
  return r;
}

void SpecCoverage::add_trace(const Trace& trace, const ModelOptions& options) {
  Row& r = row(options);
  Model model(options);
  for (const Op& op : trace.ops) {
    if (is_expectation(op)) continue;
    model.apply(op);
    model.rules_fired().for_each([&](Rule rule) { ++r.hits[static_cast<int>(rule)]; });
    ++r.ops;
  }
  ++r.traces;
}

void SpecCoverage::add_trace(const Trace& trace,
                             const std::vector<const CollectorInfo*>& collectors) {
  std::vector<ModelOptions> seen;
  for (const CollectorInfo* c : collectors) {
    const ModelOptions options = model_options_for(c->capabilities);
    if (std::find(seen.begin(), seen.end(), options) != seen.end()) continue;
    seen.push_back(options);
    add_trace(trace, options);
  }
}

void SpecCoverage::merge(const SpecCoverage& other) {
  for (const Row& o : other.rows_) {
    Row& r = row(o.options);
    r.traces += o.traces;
    r.ops += o.ops;
    for (int i = 0; i < kRuleCount; ++i) r.hits[i] += o.hits[i];
  }
}

std::string SpecCoverage::format_text() const {
  std::string out;
  for (const Row& r : rows_) {
    std::vector<std::string> never;
    std::string table;
    int applicable = 0, fired = 0;
    for (int i = 0; i < kRuleCount; ++i) {
      const Rule rule = static_cast<Rule>(i);
      if (!applies(rule, r.options)) continue;
      ++applicable;
      const RuleInfo& info = info_of(rule);
      if (r.hits[i] == 0) {
        never.emplace_back(info.name);
        continue;
      }
      ++fired;
      table += fmt::format("  {:<40} {:<22} {:>10}\n", info.name, info.section, r.hits[i]);
    }
    out += fmt::format("spec coverage, {}: {} of {} rules over {} traces ({} ops)\n",
                       describe(r.options), fired, applicable, r.traces, r.ops);
    if (!table.empty()) {
      out += fmt::format("  {:<40} {:<22} {:>10}\n", "RULE", "SPEC.md", "OPS");
      out += table;
    }
    if (!never.empty()) out += fmt::format("  never fired: {}\n", fmt::join(never, ", "));
  }
  return out;
}

nlohmann::json SpecCoverage::to_json() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const Row& r : rows_) {
    nlohmann::json rules = nlohmann::json::object();
    for (int i = 0; i < kRuleCount; ++i) {
      const Rule rule = static_cast<Rule>(i);
      if (applies(rule, r.options)) rules[std::string(info_of(rule).name)] = r.hits[i];
    }
    rows.push_back({{"policy", name_of(r.options.policy)},
                    {"collects_cycles", r.options.collects_cycles},
                    {"generational", r.options.generational},
                    {"traces", r.traces},
                    {"ops", r.ops},
                    {"rules", rules}});
  }
  return rows;
}

SpecCoverage SpecCoverage::from_json(const nlohmann::json& j) {
  SpecCoverage c;
  for (const nlohmann::json& row : j) {
    ModelOptions options;
    const std::string policy = row.at("policy").get<std::string>();
    for (std::size_t p = 0; p < kPolicyNames.size(); ++p) {
      if (kPolicyNames[p] == policy) options.policy = static_cast<Policy>(p);
    }
    options.collects_cycles = row.at("collects_cycles").get<bool>();
    options.generational = row.at("generational").get<bool>();
    Row& r = c.row(options);
    r.traces = row.at("traces").get<std::uint64_t>();
    r.ops = row.at("ops").get<std::uint64_t>();
    for (int i = 0; i < kRuleCount; ++i) {
      const std::string name(info_of(static_cast<Rule>(i)).name);
      if (row.at("rules").contains(name)) r.hits[i] = row.at("rules").at(name).get<std::uint64_t>();
    }
  }
  return c;
}

}  // namespace gcfuzz
