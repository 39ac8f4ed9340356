// `gcfuzz selftest`: every known-buggy mutant must be caught by a random campaign under a
// fixed seed budget, and the trace that catches it must pass on the collector it mutates
// (a checker that fails everything would otherwise "catch" every mutant).
#include <iostream>

#include <fmt/format.h>

#include "harness/campaign.h"
#include "harness/commands.h"
#include "harness/report.h"
#include "harness/selection.h"
#include "harness/text.h"

namespace gcfuzz {

int selftest_command(const SelftestOptions& options) {
  std::vector<std::string> patterns = options.mutants;
  if (patterns.empty()) patterns.push_back("*~*");
  const Selection selection = select_collectors(patterns, /*include_mutants=*/true);
  if (!selection.error.empty()) {
    std::cerr << "gcfuzz: " << selection.error << "\n";
    return kExitBadInput;
  }
  std::vector<const CollectorInfo*> mutants;
  for (const CollectorInfo* c : selection.collectors) {
    if (c->is_mutant()) mutants.push_back(c);
  }
  if (mutants.empty()) {
    std::cerr << "gcfuzz: no mutant selected\n";
    return kExitBadInput;
  }
  std::cout << fmt::format("gcfuzz selftest: {} mutants, seed {}, budget {} traces or {} s each\n",
                           mutants.size(), options.seed, options.traces, options.time_seconds);

  CampaignOptions campaign;
  campaign.seed = options.seed;
  campaign.max_traces = options.traces;
  campaign.time_limit =
      std::chrono::milliseconds(static_cast<long long>(options.time_seconds * 1000));
  campaign.isolation.fork = options.fork;

  std::vector<std::vector<std::string>> rows = {
      {"MUTANT", "CAUGHT", "CHECK", "TRACES", "TIME", "SHRUNK OPS"}};
  std::size_t caught = 0;
  std::vector<std::string> problems;
  for (const CollectorInfo* mutant : mutants) {
    const CollectorInfo* const one[] = {mutant};
    const CampaignResult result = run_campaign(one, campaign);
    const CollectorTally& tally = result.tallies.front();
    if (!tally.finding) {
      rows.push_back({std::string(mutant->name), "NO", "-", std::to_string(tally.traces),
                      fmt::format("{:.2f}s", result.seconds), "-"});
      problems.push_back(fmt::format("{} was not caught in {} traces ({:.1f} s): {}", mutant->name,
                                     tally.traces, result.seconds, mutant->summary));
      std::cout << rows.back()[0] << ": not caught\n" << std::flush;
      continue;
    }
    const Finding& f = *tally.finding;
    // The shrunk trace must tell the mutant from the collector it mutates.
    const CollectorInfo* original = find_collector(mutant->mutant_of);
    const LaneResult check = run_lane(f.shrunk, *original, campaign.isolation);
    const bool distinguishes = !check.divergence;
    rows.push_back({std::string(mutant->name), distinguishes ? "yes" : "NO",
                    std::string(name_of(f.divergence.check)), std::to_string(f.trace_index + 1),
                    fmt::format("{:.2f}s", f.seconds_to_catch),
                    std::to_string(f.shrunk.ops.size())});
    if (distinguishes) {
      ++caught;
    } else {
      problems.push_back(fmt::format(
          "{}: the trace that caught it fails on {} too:\n{}\n{}", mutant->name, original->name,
          format_divergence(*check.divergence, f.shrunk), print_trace(f.shrunk)));
    }
    std::cout << fmt::format("{}: caught by trace {} in {:.2f} s ({}), shrunk to {} ops\n",
                             mutant->name, f.trace_index + 1, f.seconds_to_catch,
                             name_of(f.divergence.check), f.shrunk.ops.size())
              << std::flush;
  }
  std::cout << "\n" << format_table(rows);
  for (const std::string& p : problems) std::cout << "\n" << p << "\n";
  std::cout << fmt::format("SUMMARY: gcfuzz selftest: {}/{} mutants caught\n", caught,
                           mutants.size());
  return caught == mutants.size() ? kExitAgree : kExitDivergence;
}

}  // namespace gcfuzz
