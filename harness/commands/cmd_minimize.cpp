// `gcfuzz minimize`: shrink a failing trace (a crash artifact, a hand-written trace) while
// the same divergence reproduces, and print or save it as canonical .gct.
#include <iostream>

#include <fmt/format.h>

#include "harness/commands/cli_support.h"
#include "harness/commands/commands.h"
#include "harness/commands/save.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/report.h"
#include "harness/trace/minimizer.h"

namespace gcfuzz {

int minimize_command(const MinimizeOptions& options) {
  const auto collectors = collectors_or_report(options.collector);
  if (!collectors) return kExitBadInput;
  const std::optional<ParsedTrace> parsed = load_or_report(options.file);
  if (!parsed) return kExitBadInput;
  const Trace& original = parsed->trace;
  const Isolation isolation{.fork = options.fork};

  // The divergence to keep: on the collector named, or the first one that diverges.
  const std::optional<FirstDivergence> found = first_divergence(original, *collectors, isolation);
  if (!found) {
    std::cerr << fmt::format("gcfuzz minimize: {} agrees with {}: nothing to minimize\n",
                             options.file, count_of(collectors->size(), "collector"));
    return kExitAgree;
  }
  const CollectorInfo* target = found->collector;
  const Divergence* first = &found->divergence;
  std::cerr << format_divergence(*first, original, TraceSource{options.file, parsed->line_of_op})
            << "\n";
  LaneServer lanes(*target, isolation, {}, !depends_on_history(*first));
  auto still_fails = [&](const Trace& candidate) {
    const LaneResult r = lanes.run(candidate);
    return r.divergence && r.divergence->same_kind(*first);
  };
  MinimizeResult result = minimize(original, still_fails);
  const LaneResult final_run = run_lane(result.trace, *target, isolation);
  const Divergence& d = final_run.divergence ? *final_run.divergence : *first;
  result.trace.header = {
      fmt::format("minimized by gcfuzz minimize from {} ({} ops to {})", options.file,
                  original.ops.size(), result.trace.ops.size()),
      fmt::format("{}: {} divergence at op {}: {}", d.collector, name_of(d.check), d.op_index,
                  d.detail),
      fmt::format("replay: gcfuzz replay -c {} <this file>", d.collector),
  };
  const std::string text = print_trace(result.trace);
  if (options.output) {
    write_atomically(*options.output, text);
  } else {
    std::cout << text;
  }
  std::cerr << fmt::format(
      "SUMMARY: gcfuzz minimize: {} ops ({} lines) -> {} ops, {} {} divergence kept ({} runs){}\n",
      original.ops.size(), parsed->line_of_op.empty() ? 0 : parsed->line_of_op.back(),
      result.trace.ops.size(), d.collector, name_of(d.check), result.tests,
      options.output ? fmt::format("; written to {}", *options.output) : std::string());
  return kExitDivergence;
}

}  // namespace gcfuzz
