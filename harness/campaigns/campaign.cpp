// The campaign loop: a worker runs traces and reports line by line; the parent tallies,
// and shrinks each first divergence with one isolated run per candidate.
#include "harness/campaigns/campaign.h"

#include <array>
#include <charconv>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/isolation/serialize.h"
#include "harness/trace/generators.h"
#include "harness/trace/minimizer.h"

namespace gcfuzz {

namespace {

// Above this many ops, a trace RapidCheck shrank is minimized further (run_campaign).
constexpr std::size_t kMinimizeAbove = 3;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Worker protocol, one line per message:
//   C <trace> <collector>   about to run that collector on that trace
//   R <trace> <collector> <objects> <collections> <held at end>   what it retained
//   U <trace> <collector> <why>   the collector cannot express an op of the trace
//   V <trace> <json>        the SPEC.md rules it exercised (with coverage)
//   T <trace> <ops>         the trace passed every active collector
//   X <trace> <collector> <divergence json>   a divergence; the worker stops
struct WorkerPlan {
  std::uint64_t seed;
  std::size_t first_trace;
  std::size_t max_traces;
  std::size_t max_ops;
  HeapShape heap;
  std::vector<const CollectorInfo*> active;  // by position in the campaign's collector list
  std::vector<std::size_t> positions;
  Clock::time_point deadline;
  bool coverage = false;
};

void work(const WorkerPlan& plan, const std::function<void(std::string_view)>& send) {
  const Isolation in_process{.fork = false};
  for (std::size_t t = plan.first_trace; t < plan.max_traces; ++t) {
    if (Clock::now() >= plan.deadline) return;
    const Trace trace = campaign_trace(plan.seed, t, plan.max_ops, plan.heap).value();
    for (std::size_t i = 0; i < plan.active.size(); ++i) {
      send(fmt::format("C {} {}", t, plan.positions[i]));
      const LaneResult r = run_lane(trace, *plan.active[i], in_process);
      if (r.divergence) {
        send(fmt::format("X {} {} {}", t, plan.positions[i], nlohmann::json(*r.divergence).dump()));
        return;
      }
      if (!r.unsupported.empty()) {
        send(fmt::format("U {} {} {}", t, plan.positions[i], r.unsupported));
      }
      if (r.retention.any()) {
        send(fmt::format("R {} {} {} {} {}", t, plan.positions[i], r.retention.objects,
                         r.retention.collections, r.retention.held_at_end));
      }
    }
    if (plan.coverage) {
      SpecCoverage covered;
      covered.add_trace(trace, plan.active);
      send(fmt::format("V {} {}", t, covered.to_json().dump()));
    }
    send(fmt::format("T {} {}", t, trace.ops.size()));
  }
}

std::size_t number(std::string_view& line) {
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
  line.remove_prefix(static_cast<std::size_t>(end - line.data()));
  return value;
}

}  // namespace

bool CampaignResult::any_finding() const {
  for (const CollectorTally& t : tallies) {
    if (t.finding) return true;
  }
  return false;
}

rc::Shrinkable<Trace> campaign_trace(std::uint64_t seed, std::size_t index, std::size_t max_ops,
                                     HeapShape heap) {
  static const std::array<rc::Gen<Trace>, 3> generators = {
      trace_generator({.heap = HeapShape::small}), trace_generator({.heap = HeapShape::large}),
      trace_generator({.heap = HeapShape::mixed})};
  const rc::Gen<Trace>& generator = generators[static_cast<int>(heap)];
  const rc::Random random(rc::Random::Key{seed, index, 0x6763667a7a, 0});
  // Lengths vary from trace to trace, up to max_ops: small traces find simple bugs fast.
  const int size = static_cast<int>(index % std::max<std::size_t>(max_ops, 1));
  return generator(random, size);
}

ShrinkResult shrink(const rc::Shrinkable<Trace>& start,
                    const std::function<bool(const Trace&)>& still_fails, std::size_t max_tries,
                    std::chrono::milliseconds max_time) {
  const Clock::time_point deadline = Clock::now() + max_time;
  rc::Shrinkable<Trace> current = start;
  ShrinkResult result;
  for (bool improved = true; improved && result.tries < max_tries;) {
    improved = false;
    rc::Seq<rc::Shrinkable<Trace>> candidates = current.shrinks();
    while (rc::Maybe<rc::Shrinkable<Trace>> candidate = candidates.next()) {
      if (result.tries >= max_tries) break;
      if (Clock::now() >= deadline) {
        result.stopped_by_time = true;
        break;
      }
      ++result.tries;
      if (still_fails(candidate->value())) {
        current = std::move(*candidate);
        ++result.steps;
        improved = true;
        break;
      }
    }
  }
  result.trace = current.value();
  return result;
}

CampaignResult run_campaign(std::span<const CollectorInfo* const> collectors,
                            const CampaignOptions& options) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      options.time_limit ? start + *options.time_limit : Clock::time_point::max();
  CampaignResult result;
  for (const CollectorInfo* c : collectors) result.tallies.push_back({c});
  CampaignProgress progress;
  Clock::time_point last_report = start;
  auto report = [&](bool force) {
    if (!options.on_progress) return;
    if (!force && Clock::now() - last_report < std::chrono::seconds(1)) return;
    last_report = Clock::now();
    progress.seconds = seconds_since(start);
    options.on_progress(progress);
  };

  std::size_t next = 0;
  while (next < options.max_traces && Clock::now() < deadline) {
    WorkerPlan plan{options.seed, next, options.max_traces, options.max_ops, options.heap,
                    {},           {},   deadline,           options.coverage};
    for (std::size_t i = 0; i < result.tallies.size(); ++i) {
      if (!result.tallies[i].finding) {
        plan.active.push_back(result.tallies[i].collector);
        plan.positions.push_back(i);
      }
    }
    if (plan.active.empty()) break;

    std::size_t at_trace = next, at_collector = plan.positions.front();
    std::optional<Divergence> found;
    // Retention counts once its trace passed every collector (else the trace runs again).
    std::vector<std::pair<std::size_t, Retention>> retained;
    std::vector<std::pair<std::size_t, std::string>> early;  // likewise, traces ended early
    SpecCoverage covered;                                    // likewise
    auto on_line = [&](std::string_view line) {
      const char kind = line.front();
      line.remove_prefix(1);
      const std::size_t trace = number(line);
      if (kind == 'R') {
        const std::size_t pos = number(line);
        Retention r;
        r.objects = number(line);
        r.collections = number(line);
        r.held_at_end = number(line);
        retained.emplace_back(pos, r);
      } else if (kind == 'U') {
        const std::size_t pos = number(line);
        early.emplace_back(pos, std::string(line.substr(line.empty() ? 0 : 1)));
      } else if (kind == 'V') {
        covered.merge(SpecCoverage::from_json(nlohmann::json::parse(line.substr(1))));
      } else if (kind == 'T') {
        const std::size_t ops = number(line);
        for (std::size_t pos : plan.positions) {
          ++result.tallies[pos].traces;
          result.tallies[pos].ops += ops;
        }
        for (const auto& [pos, r] : retained) result.tallies[pos].retention += r;
        retained.clear();
        for (const auto& [pos, why] : early) {
          CollectorTally& tally = result.tallies[pos];
          if (tally.ended_early++ == 0) tally.first_unsupported = why;
        }
        early.clear();
        result.coverage.merge(covered);
        covered = SpecCoverage{};
        ++progress.traces;
        progress.ops += ops;
        next = trace + 1;
        report(false);
      } else {
        at_trace = trace;
        at_collector = number(line);
        if (kind == 'X') found = nlohmann::json::parse(line.substr(1)).get<Divergence>();
      }
    };
    if (options.isolation.fork) {
      for (const CollectorTally& t : result.tallies) {
        if (t.collector->prepare != nullptr) t.collector->prepare();
      }
      const ChildOutcome outcome = run_in_child(
          [&](ChildChannel& channel) { work(plan, [&](std::string_view l) { channel.send(l); }); },
          options.isolation.quiet_limit, on_line);
      if (outcome.status != ChildOutcome::Status::finished) {
        found = divergence_from_outcome(outcome, result.tallies[at_collector].collector->name, 0);
      }
    } else {
      work(plan, [&](std::string_view l) { on_line(std::string(l)); });
    }
    if (!found) break;  // the worker ran out of traces or time

    // Shrink the divergence: the same check must fail on the same collector.
    CollectorTally& tally = result.tallies[at_collector];
    const rc::Shrinkable<Trace> original =
        campaign_trace(options.seed, at_trace, options.max_ops, options.heap);
    ++tally.traces;
    tally.ops += original.value().ops.size();
    Finding f;
    f.trace_index = at_trace;
    f.seconds_to_catch = seconds_since(start);
    f.original_ops = original.value().ops.size();
    const Divergence first = *found;
    // The candidates run one after another in one child (a new one after a crash), unless
    // the divergence is a crash or a hang; the shrunk trace is then run alone, in a child of
    // its own, for the divergence it shows.
    LaneServer lanes(*tally.collector, options.isolation, {}, !depends_on_history(first));
    auto still_fails = [&](const Trace& candidate) {
      const LaneResult r = lanes.run(candidate);
      return r.divergence && r.divergence->same_kind(first);
    };
    ShrinkResult shrunk = shrink(original, still_fails, options.shrink_tries, options.shrink_time);
    f.shrunk = std::move(shrunk.trace);
    f.shrink_steps = shrunk.steps;
    f.shrink_tries = shrunk.tries;
    f.shrink_stopped_by_time = shrunk.stopped_by_time;
    // RapidCheck shrinks an allocation burst only from its end; delta debugging over the ops
    // then removes what the generator's shrink tree cannot, within the same budget of tries
    // (a trace RapidCheck brought to 3 ops or fewer is left as it is).
    if (!f.shrink_stopped_by_time && f.shrink_tries < options.shrink_tries &&
        f.shrunk.ops.size() > kMinimizeAbove) {
      const std::size_t before = f.shrunk.ops.size();
      MinimizeResult minimized =
          minimize(f.shrunk, still_fails, options.shrink_tries - f.shrink_tries);
      f.shrink_tries += minimized.tests;
      if (minimized.trace.ops.size() < before) ++f.shrink_steps;
      f.shrunk = std::move(minimized.trace);
    }
    const LaneResult final_run = run_lane(f.shrunk, *tally.collector, options.isolation);
    f.divergence = final_run.divergence ? *final_run.divergence : first;
    tally.finding = std::move(f);
    ++progress.findings;
    next = at_trace;  // the collectors not yet caught run this trace again
    report(true);
  }
  result.traces = progress.traces;
  result.seconds = seconds_since(start);
  report(true);
  return result;
}

}  // namespace gcfuzz
