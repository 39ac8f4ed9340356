// The same seed gives the same shrunk trace on a busy machine and an idle one: shrinking is
// budgeted in candidate traces tried, not in time (SPEC.md says nothing of time; the README
// promises the same result for the same seed).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "collectors/registry.h"
#include "harness/campaigns/campaign.h"
#include "harness/trace/text.h"

namespace gcfuzz {
namespace {

// The first finding of a campaign on one mutant: its shrunk trace and how shrinking went.
Finding shrunk_finding() {
  const CollectorInfo* mutant = find_collector("mark-sweep:java~skip-last-slot");
  EXPECT_NE(mutant, nullptr);
  CampaignOptions options;
  options.seed = 2;
  options.max_traces = 5000;
  options.isolation.fork = false;
  const std::vector<const CollectorInfo*> collectors = {mutant};
  CampaignResult result = run_campaign(collectors, options);
  EXPECT_TRUE(result.tallies.front().finding.has_value());
  return result.tallies.front().finding.value_or(Finding{});
}

TEST(Shrinking, GivesTheSameTraceWithACpuHogBeside) {
  const Finding idle = shrunk_finding();

  std::atomic<bool> stop{false};
  std::vector<std::thread> hogs;
  for (unsigned i = 0; i < std::max(2u, std::thread::hardware_concurrency()); ++i) {
    hogs.emplace_back([&stop] {
      volatile std::uint64_t spin = 0;
      while (!stop.load(std::memory_order_relaxed)) spin = spin + 1;
    });
  }
  const Finding busy = shrunk_finding();
  stop = true;
  for (std::thread& t : hogs) t.join();

  EXPECT_FALSE(idle.shrink_stopped_by_time);
  EXPECT_FALSE(busy.shrink_stopped_by_time);
  EXPECT_EQ(print_trace(busy.shrunk), print_trace(idle.shrunk));
  EXPECT_EQ(busy.shrink_tries, idle.shrink_tries);
  EXPECT_EQ(busy.trace_index, idle.trace_index);
  EXPECT_EQ(busy.divergence.detail, idle.divergence.detail);
}

TEST(Shrinking, ATimeLimitThatRunsOutIsSaid) {
  // A zero time limit stops shrinking before the first candidate, and the result says so.
  const rc::Shrinkable<Trace> start = campaign_trace(1, 40, 64);
  const ShrinkResult r = shrink(
      start, [](const Trace&) { return true; }, 1000, std::chrono::milliseconds(0));
  EXPECT_TRUE(r.stopped_by_time);
  EXPECT_EQ(r.tries, 0u);
  const ShrinkResult budgeted = shrink(
      start, [](const Trace&) { return true; }, 7, std::chrono::minutes(10));
  EXPECT_FALSE(budgeted.stopped_by_time);
  EXPECT_GE(budgeted.tries, 1u);
  EXPECT_LE(budgeted.tries, 7u);
}

}  // namespace
}  // namespace gcfuzz
