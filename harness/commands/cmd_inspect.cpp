// The inspecting verbs: `list` (collectors), `model` (expected events), `show` (a trace as
// text, as a heap picture, or as a Python or Lua reproduction).
#include <algorithm>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "collectors/registry.h"
#include "gcfuzz/collector.hpp"
#include "harness/commands/cli_support.h"
#include "harness/commands/commands.h"
#include "harness/external/exec_collectors.h"
#include "harness/external/lua_script.h"
#include "harness/external/python_script.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/dot.h"
#include "harness/report/report.h"
#include "harness/trace/event_format.h"
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
  try {
    declared_exec_collectors();  // --exec adapters: started, and their collectors registered
  } catch (const ExternalError& e) {
    std::cerr << "gcfuzz: " << e.what() << "\n";
    return kExitBadInput;
  }
  for (const CollectorInfo& c : registry()) {
    if (options.mutants || !c.is_mutant()) shown.push_back(&c);
  }
  // The CPython interpreters and HotSpot's collectors found, each out of process.
  std::vector<const CollectorInfo*> found = python_collectors_found();
  for (const CollectorInfo* c : jvm_collectors_found()) found.push_back(c);
  for (const CollectorInfo* c : found) {
    if ((options.mutants || !c->is_mutant()) &&
        std::find(shown.begin(), shown.end(), c) == shown.end()) {
      shown.push_back(c);
    }
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
    const auto mutants = std::count_if(registry().begin(), registry().end(),
                                       [](const CollectorInfo& c) { return c.is_mutant(); });
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

namespace {

// The collectors `show --dot` checks: those `-c` names, or every non-mutant (of `policy`).
std::optional<std::vector<const CollectorInfo*>> collectors_to_check(const ShowOptions& options,
                                                                     std::optional<Policy> policy) {
  auto collectors = collectors_or_report(options.collector);
  if (collectors && policy) {
    std::erase_if(*collectors,
                  [&](const CollectorInfo* c) { return c->capabilities.policy != *policy; });
  }
  return collectors;
}

// `pep442`, `java, no generations`: the model a heap is drawn from.
std::string describe_model(const ModelOptions& m) {
  std::string out(name_of(m.policy));
  if (!m.collects_cycles) out += ", no cycle collection";
  if (!m.generational) out += ", no generations";
  return out;
}

}  // namespace

int show_command(const ShowOptions& options) {
  const std::optional<ParsedTrace> parsed = load_or_report(options.file);
  if (!parsed) return kExitBadInput;
  const Trace& trace = parsed->trace;
  if (options.python) {
    std::cout << python_script(trace);
    return kExitAgree;
  }
  if (options.lua) {
    std::cout << lua_script(trace);
    return kExitAgree;
  }
  if (!options.dot && !options.svg && !options.png) {
    std::cout << print_trace(trace);
    return kExitAgree;
  }

  // Usage first: nothing runs on a bad option.
  std::optional<Policy> policy;
  if (options.policy && !(policy = policy_or_report(*options.policy))) return kExitBadInput;
  const std::optional<std::vector<const CollectorInfo*>> collectors =
      collectors_to_check(options, policy);
  if (!collectors) return kExitBadInput;
  std::optional<std::filesystem::path> graphviz;
  if (options.svg || options.png) {
    graphviz = find_graphviz_dot();
    if (!graphviz) {
      std::cerr << "gcfuzz: Graphviz `dot` not found; install graphviz or use --dot\n";
      return kExitBadInput;
    }
  }
  if (options.at && *options.at >= trace.ops.size()) {
    std::cerr << (trace.ops.empty()
                      ? fmt::format("gcfuzz: --at {}: the trace has no ops\n", *options.at)
                      : fmt::format("gcfuzz: --at {}: the trace has {} ops (0..{})\n", *options.at,
                                    trace.ops.size(), trace.ops.size() - 1));
    return kExitBadInput;
  }

  const std::optional<FirstDivergence> found =
      trace.ops.empty() ? std::nullopt
                        : earliest_divergence(trace, *collectors, Isolation{.fork = options.fork});
  // A divergence at the end of the trace (the whole-heap check) is drawn after the last op.
  const std::size_t last_op = trace.ops.empty() ? 0 : trace.ops.size() - 1;
  const std::size_t drawn_op = options.at ? *options.at
                               : found    ? std::min(found->divergence.op_index, last_op)
                                          : last_op;
  const bool divergence_drawn = found && std::min(found->divergence.op_index, last_op) == drawn_op;

  // The model drawn: the one the diverging collector is judged by, else the one named.
  ModelOptions model_options{.policy = policy.value_or(Policy::pep442)};
  if (found || (options.collector && !collectors->empty())) {
    model_options =
        model_options_for((found ? found->collector : collectors->front())->capabilities);
  }
  const std::string model_name = fmt::format("model ({})", describe_model(model_options));
  Model model(model_options);
  DotOptions dot;
  for (std::size_t i = 0; i < trace.ops.size() && i <= drawn_op; ++i) {
    dot.last_op = model.apply(trace.ops[i]);
  }

  dot.title.push_back(trace.ops.empty() ? fmt::format("{}: an empty trace", options.file)
                                        : fmt::format("{}: the heap after op {}: {}", options.file,
                                                      drawn_op, print_op(trace.ops[drawn_op])));
  // `mark-sweep:java: safety divergence at op 4`
  auto headline = [&](const Divergence& d) {
    return fmt::format("{}: {} divergence at {}", d.collector, name_of(d.check),
                       d.op_index < trace.ops.size() ? fmt::format("op {}", d.op_index)
                                                     : std::string("the end of the trace"));
  };
  if (found) {
    const Divergence& d = found->divergence;
    dot.title.push_back(fmt::format("{}{}: {}", headline(d),
                                    divergence_drawn ? "" : " (not drawn here)", d.detail));
    if (divergence_drawn && d.expected && d.observed) {
      dot.title.push_back(fmt::format("{}: {}", model_name, describe(*d.expected)));
      dot.title.push_back(fmt::format("{}: {}", d.collector, describe(*d.observed)));
    } else {
      dot.title.push_back(fmt::format("drawn from the model {} is judged by: {}", d.collector,
                                      describe_model(model_options)));
    }
    if (divergence_drawn) mark_divergence(d, model, dot);
  } else {
    dot.title.push_back(fmt::format("no divergence on {}; drawn from the {}",
                                    count_of(collectors->size(), "collector"), model_name));
  }

  if (!options.at) {
    std::cerr << "gcfuzz show: "
              << (found ? fmt::format("{}; the heap after op {}\n", headline(found->divergence),
                                      drawn_op)
                  : trace.ops.empty()
                      ? std::string("an empty trace; the empty heap\n")
                      : fmt::format("no divergence on {}; the heap after the last "
                                    "op ({})\n",
                                    count_of(collectors->size(), "collector"), drawn_op));
  }
  const std::string text = heap_dot(model, dot);
  if (options.dot) std::cout << text << std::flush;
  if (options.svg) render_dot(*graphviz, text, "svg", *options.svg);
  if (options.png) render_dot(*graphviz, text, "png", *options.png);
  return kExitAgree;
}

}  // namespace gcfuzz
