// The inspecting verbs: `list` (collectors), `model` (expected events), `show` (a trace as
// text, as a heap picture, or as a Python reproduction).
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "collectors/api.h"
#include "harness/cli_support.h"
#include "harness/commands.h"
#include "harness/dot.h"
#include "harness/event_format.h"
#include "harness/python_script.h"
#include "harness/report.h"
#include "model/model.h"

namespace gcfuzz {

namespace {

std::string yes_no(bool b) {
  return b ? "yes" : "no";
}

std::string origin_of(const CollectorInfo& c) {
  return c.is_mutant() ? fmt::format("mutant of {}", c.mutant_of) : std::string(c.origin);
}

}  // namespace

int list_command(const ListOptions& options) {
  std::vector<const CollectorInfo*> shown;
  for (const CollectorInfo& c : registry()) {
    if (options.mutants || !c.is_mutant()) shown.push_back(&c);
  }
  if (options.json) {
    for (const CollectorInfo* c : shown) {
      const Capabilities& k = c->capabilities;
      nlohmann::json j = {{"name", c->name},
                          {"policy", name_of(k.policy)},
                          {"precision", k.precision == Precision::exact ? "exact" : "conservative"},
                          {"cycles", k.collects_cycles},
                          {"generational", k.generational},
                          {"moving", k.moving},
                          {"incremental", k.incremental},
                          {"refcounts", k.refcounts},
                          {"origin", origin_of(*c)},
                          {"summary", c->summary}};
      if (c->is_mutant()) j["mutant_of"] = c->mutant_of;
      std::cout << j.dump() << "\n";
    }
    return kExitAgree;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "POLICY", "PRECISION", "CYCLES",
                                                 "GENERATIONAL", "MOVING", "INCREMENTAL",
                                                 "REFCOUNTS", "ORIGIN"}};
  for (const CollectorInfo* c : shown) {
    const Capabilities& k = c->capabilities;
    rows.push_back({std::string(c->name), std::string(name_of(k.policy)),
                    k.precision == Precision::exact ? "exact" : "conservative",
                    yes_no(k.collects_cycles), yes_no(k.generational), yes_no(k.moving),
                    yes_no(k.incremental), yes_no(k.refcounts), origin_of(*c)});
  }
  std::cout << format_table(rows);
  if (!options.mutants) {
    std::size_t mutants = registry().size() - shown.size();
    std::cout << fmt::format("({} known-buggy mutants hidden: gcfuzz list --mutants)\n", mutants);
  }
  return kExitAgree;
}

int model_command(const ModelOptionsCli& options) {
  const std::optional<ModelOptions> model_options =
      model_options_or_report(options.policy, options.collector);
  if (!model_options) return kExitBadInput;
  const std::optional<Policy> policy = model_options->policy;
  const std::optional<ParsedTrace> parsed = load_or_report(options.file);
  if (!parsed) return kExitBadInput;
  const Trace& trace = parsed->trace;
  Model model(*model_options);
  std::size_t held = 0, failed = 0;
  for (std::size_t i = 0; i < trace.ops.size(); ++i) {
    const Op& op = trace.ops[i];
    const Events events = model.apply(op);
    std::optional<std::string> failure;
    if (is_expectation(op)) {
      const bool applies = std::visit(
          [&](const auto& o) {
            if constexpr (ExpectOp<std::decay_t<decltype(o)>>) {
              return o.when.applies_to(*policy);
            } else {
              return false;
            }
          },
          op);
      if (applies) {
        failure = model.check(op);
        failure ? ++failed : ++held;
      }
    }
    if (options.json) {
      std::cout << events_json(i, op, events) << "\n";
    } else {
      const std::string text = print_op(op);
      std::cout << fmt::format("{:>5}  {:<32} {}\n", i, text,
                               is_expectation(op) ? "" : describe(events));
    }
    if (failure) {
      std::cerr << fmt::format("{}:{}: expectation failed under {}: {}\n", options.file,
                               parsed->line_of_op[i], name_of(*policy), *failure);
    }
  }
  if (!options.json) {
    std::cout << fmt::format("SUMMARY: gcfuzz model ({}): {} ops, {} expectations hold, {} fail\n",
                             options.collector ? *options.collector : options.policy,
                             trace.ops.size(), held, failed);
  }
  return failed ? kExitDivergence : kExitAgree;
}

int show_command(const ShowOptions& options) {
  const std::optional<ParsedTrace> parsed = load_or_report(options.file);
  if (!parsed) return kExitBadInput;
  const Trace& trace = parsed->trace;
  if (options.python) {
    std::cout << python_script(trace);
    return kExitAgree;
  }
  if (!options.dot) {
    std::cout << print_trace(trace);
    return kExitAgree;
  }
  const std::optional<ModelOptions> model_options =
      model_options_or_report(options.policy, options.collector);
  if (!model_options) return kExitBadInput;
  if (options.at && *options.at >= trace.ops.size()) {
    std::cerr << fmt::format("gcfuzz: --at {}: the trace has {} ops (0..{})\n", *options.at,
                             trace.ops.size(), trace.ops.size() - 1);
    return kExitBadInput;
  }
  Model model(*model_options);
  DotOptions dot;
  const std::size_t last = options.at ? *options.at : trace.ops.size() - 1;
  for (std::size_t i = 0; i <= last && i < trace.ops.size(); ++i)
    dot.last_op = model.apply(trace.ops[i]);
  dot.title =
      trace.ops.empty()
          ? options.file
          : fmt::format("{} after op {}: {} ({})", options.file, last, print_op(trace.ops[last]),
                        options.collector ? *options.collector : options.policy);
  std::cout << heap_dot(model, dot);
  return kExitAgree;
}

}  // namespace gcfuzz
