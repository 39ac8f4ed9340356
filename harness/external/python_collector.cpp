#include "harness/external/python_collector.h"

#include <chrono>

#include <fmt/format.h>

#include "harness/engine/checker.h"
#include "harness/engine/external_collectors.h"
#include "harness/external/cpython_oracle.h"

namespace gcfuzz {
namespace {

constexpr std::string_view kPrefix = "python:";
constexpr std::chrono::milliseconds kLimit{60'000};

Divergence divergence(const CollectorInfo& c, Check check, std::size_t op, std::string detail) {
  Divergence d;
  d.collector = std::string(c.name);
  d.check = check;
  d.op_index = op;
  d.detail = std::move(detail);
  return d;
}

// The model of the interpreter's policy, in lockstep with the interpreter's events.
LaneResult judge(const Trace& trace, const CollectorInfo& c, const Interpreter& python) {
  LaneResult r;
  r.collector = &c;
  const OracleResult oracle = run_in_python(trace, python, kLimit);
  if (!oracle.ok()) {
    r.divergence = divergence(c, Check::crash, 0, oracle.error);
    return r;
  }
  Model model(ModelOptions{.policy = python.policy});
  CollectorHistory history;
  r.observed = oracle.per_op;  // the interpreter's events, for replay --json
  for (std::size_t i = 0; i < trace.ops.size(); ++i) {
    const Op& op = trace.ops[i];
    r.ops_run = i + 1;
    if (is_expectation(op)) {
      if (!when_of(op).applies_to(python.policy)) continue;
      ++r.expectations_checked;
      if (std::optional<std::string> why = model.check(op)) {
        r.divergence = divergence(c, Check::expectation, i, *why);
        return r;
      }
      continue;
    }
    const Events expected = model.apply(op);
    const Events& observed = oracle.per_op[i];
    std::optional<Divergence> d = check_events(model, c.capabilities, history, expected, observed);
    history.record(observed);
    if (d) {
      d->collector = std::string(c.name);
      d->op_index = i;
      r.divergence = std::move(d);
      return r;
    }
  }
  return r;
}

const CollectorInfo& entry_for(const std::string& path, const std::optional<Interpreter>& found) {
  const std::string name = std::string(kPrefix) + path;
  if (!found) {
    return add_external_collector(
        name, "not a runnable CPython interpreter", Capabilities{}, "python",
        [path](const Trace&, const CollectorInfo& c) {
          LaneResult r;
          r.collector = &c;
          r.divergence = divergence(c, Check::crash, 0,
                                    fmt::format("{} is not a runnable CPython interpreter", path));
          return r;
        });
  }
  const Interpreter python = *found;
  const Capabilities capabilities{.policy = python.policy,
                                  .precision = Precision::exact,
                                  .collects_cycles = true,
                                  .generational = true,
                                  .moving = false,
                                  .incremental = false,
                                  .refcounts = false};
  return add_external_collector(
      name,
      fmt::format("CPython {} out of process, through the show --python script", python.version()),
      capabilities, fmt::format("CPython {}", python.version()),
      [python](const Trace& trace, const CollectorInfo& c) { return judge(trace, c, python); });
}

}  // namespace

const CollectorInfo* python_collector(std::string_view pattern) {
  if (!pattern.starts_with(kPrefix)) return nullptr;
  const std::string path(pattern.substr(kPrefix.size()));
  return &entry_for(path, probe_interpreter(path));
}

std::vector<const CollectorInfo*> python_collectors_found() {
  std::vector<const CollectorInfo*> entries;
  for (const Interpreter& python : find_interpreters()) {
    entries.push_back(&entry_for(python.path.string(), python));
  }
  return entries;
}

}  // namespace gcfuzz
