// `gcfuzz replay`: run trace files against collectors, each (file, collector) in a child
// process, and report every divergence and failed expectation.
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "harness/commands/cli_support.h"
#include "harness/commands/commands.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/isolation/serialize.h"
#include "harness/report/report.h"
#include "harness/trace/event_format.h"

namespace gcfuzz {

namespace {

// The objects a collector left in `garbage` at the end of the trace (from its own events),
// as `@0 @1`; empty when none.
std::string garbage_at_end(const Trace& trace, const std::vector<Events>& observed) {
  std::vector<ObjectId> garbage;
  for (std::size_t i = 0; i < observed.size() && i < trace.ops.size(); ++i) {
    if (const auto* c = std::get_if<Clear>(&trace.ops[i]); c && c->list.list == RootList::garbage) {
      garbage.clear();
    }
    garbage.insert(garbage.end(), observed[i].garbage.begin(), observed[i].garbage.end());
  }
  std::string text;
  for (ObjectId id : garbage) text += fmt::format("{}@{}", text.empty() ? "" : " ", id.value);
  return text;
}

}  // namespace

int replay_command(const ReplayOptions& options) {
  const auto collectors = collectors_or_report(options.collectors);
  if (!collectors) return kExitBadInput;
  const auto files = expand_trace_paths(options.paths);
  if (!files) return kExitBadInput;
  if (files->empty()) {
    std::cerr << "gcfuzz: no .gct traces in the paths given\n";
    return kExitBadInput;
  }
  // Every file parses before anything runs.
  std::vector<ParsedTrace> traces;
  for (const auto& file : *files) {
    std::optional<ParsedTrace> parsed = load_or_report(file);
    if (!parsed) return kExitBadInput;
    traces.push_back(std::move(*parsed));
  }

  const Isolation isolation{.fork = options.fork,
                            .quiet_limit = std::chrono::milliseconds(
                                static_cast<long long>(options.timeout_seconds * 1000))};
  std::size_t divergences = 0, checked = 0, skipped = 0, ended_early = 0;
  Retention retained;  // summed over every file and conservative collector
  const bool coverage = options.coverage || options.coverage_json.has_value();
  SpecCoverage covered;
  for (std::size_t f = 0; f < traces.size(); ++f) {
    const std::string file = (*files)[f].string();
    const Trace& trace = traces[f].trace;
    if (coverage) covered.add_trace(trace, *collectors);
    std::vector<std::string> failures;
    std::vector<std::string> garbage_notes;    // what each collector left in `garbage`
    std::vector<std::string> retention_notes;  // what each conservative collector retained
    std::vector<std::string> early_notes;      // collectors that could not express an op
    for (const CollectorInfo* collector : *collectors) {
      const LaneResult r =
          run_lane(trace, *collector, isolation, LaneOptions{.record_events = true});
      checked += r.expectations_checked;
      skipped += r.expectations_skipped;
      if (options.json) {
        for (std::size_t i = 0; i < r.observed.size(); ++i) {
          nlohmann::json j = nlohmann::json::parse(events_json(i, trace.ops[i], r.observed[i]));
          j["file"] = file;
          j["collector"] = collector->name;
          std::cout << j.dump() << "\n";
        }
        if (r.divergence) {
          std::cout << nlohmann::json{{"file", file}, {"divergence", *r.divergence}}.dump() << "\n";
        }
      }
      if (!r.unsupported.empty()) {
        ++ended_early;
        early_notes.push_back(
            fmt::format("{} stopped at op {} ({})", collector->name, r.ops_run - 1, r.unsupported));
      }
      if (!r.divergence) {
        if (const std::string left = garbage_at_end(trace, r.observed); !left.empty()) {
          garbage_notes.push_back(fmt::format("{} {}", collector->name, left));
        }
        if (r.retention.any()) {
          retained += r.retention;
          retention_notes.push_back(
              fmt::format("{} {}", collector->name,
                          describe_retention(r.retention.objects, r.retention.collections,
                                             r.retention.held_at_end)));
        }
      }
      if (r.divergence) {
        ++divergences;
        failures.push_back(
            format_divergence(*r.divergence, trace, TraceSource{file, traces[f].line_of_op}));
      }
    }
    if (options.json) continue;
    if (failures.empty()) {
      std::cout << fmt::format("{}: ok ({} ops)", file, trace.ops.size());
      if (!garbage_notes.empty()) {
        std::cout << "; garbage at the end: " << fmt::format("{}", fmt::join(garbage_notes, "; "));
      }
      if (!retention_notes.empty()) {
        std::cout << "; retained trash: " << fmt::format("{}", fmt::join(retention_notes, "; "));
      }
      if (!early_notes.empty()) {
        std::cout << "; cannot express it all: " << fmt::format("{}", fmt::join(early_notes, "; "));
      }
      std::cout << "\n";
    } else {
      std::cout << fmt::format("{}: FAILED\n", file);
      for (const std::string& failure : failures) std::cout << failure << "\n";
    }
  }
  const std::string scope = fmt::format("{} x {}", count_of(traces.size(), "file"),
                                        count_of(collectors->size(), "collector"));
  std::string expectations = fmt::format(
      "{} expectations checked, {} skipped (beyond a collector's capabilities)", checked, skipped);
  if (retained.any()) {
    expectations += fmt::format(
        "; retained trash (conservative collectors; expectations only it breaks are skipped): "
        "{}",
        describe_retention(retained.objects, retained.collections, retained.held_at_end));
  }
  if (ended_early != 0) {
    expectations += fmt::format("; {} ended early (an op its collector cannot express)",
                                count_of(ended_early, "run"));
  }
  std::ostream& out = options.json ? std::cerr : std::cout;
  if (coverage && !report_coverage(covered, out, options.coverage_json)) return kExitBadInput;
  if (divergences == 0) {
    out << fmt::format("SUMMARY: gcfuzz replay: {}: all agree; {}\n", scope, expectations);
    return kExitAgree;
  }
  out << fmt::format("SUMMARY: gcfuzz replay: {} in {}; {}\n", count_of(divergences, "divergence"),
                     scope, expectations);
  return kExitDivergence;
}

}  // namespace gcfuzz
