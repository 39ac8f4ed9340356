// `gcfuzz run`: a differential campaign of random traces over the chosen collectors, with
// a progress line, a per-collector summary, and each divergence shrunk, printed as .gct and
// (with --save) written under its content hash.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <limits>

#include <fmt/format.h>

#include "harness/campaigns/campaign.h"
#include "harness/commands/cli_support.h"
#include "harness/commands/commands.h"
#include "harness/commands/save.h"
#include "harness/report/report.h"
#include "harness/trace/text.h"

namespace gcfuzz {

namespace {

std::string compact(std::size_t n) {
  if (n >= 10'000'000) return fmt::format("{}M", n / 1'000'000);
  if (n >= 10'000) return fmt::format("{}k", n / 1000);
  return std::to_string(n);
}

// The file a finding is saved as: its collector and the hash of its ops, so the same
// counterexample found twice is written once.
std::string saved_name(const Finding& f) {
  std::string collector = f.divergence.collector;
  for (char& c : collector) {
    if (c == ':') c = '-';
  }
  return fmt::format("{}-{}.gct", collector, content_hash(Trace{{}, f.shrunk.ops}));
}

Trace with_header(const Finding& f, std::uint64_t seed) {
  Trace t = f.shrunk;
  t.header = {
      fmt::format("gcfuzz run --seed {} (trace {}): {}", seed, f.trace_index,
                  f.divergence.collector),
      fmt::format("{} divergence at op {}: {}", name_of(f.divergence.check), f.divergence.op_index,
                  f.divergence.detail),
      fmt::format("replay: gcfuzz replay -c {} <this file>", f.divergence.collector),
  };
  return t;
}

}  // namespace

int run_command(const RunOptions& options) {
  const auto collectors = collectors_or_report(options.collectors);
  if (!collectors) return kExitBadInput;
  CampaignOptions campaign;
  campaign.seed = options.seed;
  campaign.max_ops = options.ops;
  campaign.heap = heap_shape_from_name(options.heap).value_or(HeapShape::mixed);
  campaign.max_traces = options.traces         ? *options.traces
                        : options.time_seconds ? std::numeric_limits<std::size_t>::max()
                                               : 1000;
  if (options.time_seconds) {
    campaign.time_limit =
        std::chrono::milliseconds(static_cast<long long>(*options.time_seconds * 1000));
  }
  campaign.isolation.fork = options.fork;
  campaign.shrink_tries = options.shrink_tries;
  campaign.coverage = options.coverage || options.coverage_json.has_value();

  const bool tty = ::isatty(STDERR_FILENO);
  double last_line = 0;
  if (!options.quiet) {
    campaign.on_progress = [&](const CampaignProgress& p) {
      const std::string line = fmt::format(
          "#{:<8} ops {:<7} {:>6.0f} traces/s  divergences {}  {:.0f}s", p.traces, compact(p.ops),
          p.seconds > 0 ? p.traces / p.seconds : 0.0, p.findings, p.seconds);
      if (tty) {
        std::cerr << "\r" << line << std::flush;
      } else if (p.seconds - last_line >= 10) {
        std::cerr << line << "\n";
        last_line = p.seconds;
      }
    };
  }
  const std::string how_many = options.traces || !options.time_seconds
                                   ? fmt::format("up to {} traces", campaign.max_traces)
                                   : std::string("traces");
  const std::string how_long =
      options.time_seconds ? fmt::format(" for {} s", *options.time_seconds) : std::string();
  std::cout << fmt::format("gcfuzz run: seed {}, {} of up to {} ops{}, {}\n", options.seed,
                           how_many, options.ops, how_long,
                           count_of(collectors->size(), "collector"));
  const CampaignResult result = run_campaign(*collectors, campaign);
  if (tty && !options.quiet) std::cerr << "\n";

  // Conservative collectors get a column for the trash they retained (SPEC.md section 5
  // item 5: allowed, and reported as a count).
  const bool any_conservative =
      std::any_of(result.tallies.begin(), result.tallies.end(), [](const CollectorTally& t) {
        return t.collector->capabilities.precision == Precision::conservative;
      });
  std::vector<std::vector<std::string>> rows = {{"COLLECTOR", "TRACES", "OPS", "DIVERGENCES"}};
  if (any_conservative) rows.front().push_back("RETAINED TRASH");
  std::size_t findings = 0;
  Retention retained;
  for (const CollectorTally& t : result.tallies) {
    rows.push_back({std::string(t.collector->name), std::to_string(t.traces), std::to_string(t.ops),
                    t.finding ? fmt::format("1 ({})", name_of(t.finding->divergence.check)) : "0"});
    if (t.collector->capabilities.precision == Precision::conservative) {
      rows.back().push_back(describe_retention(t.retention.objects, t.retention.collections,
                                               t.retention.held_at_end));
      retained += t.retention;
    } else if (any_conservative) {
      rows.back().push_back("-");
    }
    if (t.finding) ++findings;
  }
  std::cout << "\n" << format_table(rows);
  for (const CollectorTally& t : result.tallies) {
    if (t.ended_early == 0) continue;
    std::cout << fmt::format(
        "\n{}: {} of its traces ended early, at an op it cannot express (first: {})\n",
        t.collector->name, t.ended_early, t.first_unsupported);
  }

  std::vector<std::string> saved;
  for (const CollectorTally& t : result.tallies) {
    if (!t.finding) continue;
    const Finding& f = *t.finding;
    std::cout << "\n" << format_divergence(f.divergence, f.shrunk) << "\n";
    std::cout << fmt::format(
        "  found by trace {} (seed {}) after {:.2f} s; shrunk from {} to {} "
        "ops ({} steps, {} tries):\n",
        f.trace_index, options.seed, f.seconds_to_catch, f.original_ops, f.shrunk.ops.size(),
        f.shrink_steps, f.shrink_tries);
    if (f.shrink_stopped_by_time) {
      std::cout << fmt::format(
          "  shrinking stopped at its time limit after {} tries: the trace may shrink further "
          "(gcfuzz minimize)\n",
          f.shrink_tries);
    }
    std::cout << print_trace(f.shrunk);
    if (options.save_dir) {
      const std::filesystem::path path = std::filesystem::path(*options.save_dir) / saved_name(f);
      write_atomically(path, print_trace(with_header(f, options.seed)));
      std::cout << "  saved: " << path.string() << "\n";
      saved.push_back(path.string());
    }
  }
  const std::string scope = fmt::format(
      "{} traces ({} ops) in {:.1f} s over {}", result.traces,
      [&] {
        std::size_t ops = 0;
        for (const CollectorTally& t : result.tallies) ops = std::max(ops, t.ops);
        return ops;
      }(),
      result.seconds, count_of(collectors->size(), "collector"));
  const std::string retention =
      retained.any() ? fmt::format(" (retained trash: {})",
                                   describe_retention(retained.objects, retained.collections,
                                                      retained.held_at_end))
                     : std::string();
  if (campaign.coverage && !report_coverage(result.coverage, std::cout, options.coverage_json)) {
    return kExitBadInput;
  }
  if (findings == 0) {
    std::cout << fmt::format("SUMMARY: gcfuzz run: {}: no divergence{}\n", scope, retention);
    return kExitAgree;
  }
  std::cout << fmt::format(
      "SUMMARY: gcfuzz run: {}: {} diverged{}\n", scope, count_of(findings, "collector"),
      saved.empty() ? "" : fmt::format(" (saved under {})", *options.save_dir));
  return kExitDivergence;
}

}  // namespace gcfuzz
