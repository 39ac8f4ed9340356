// RapidCheck properties: every registered collector agrees with its model on random
// traces, and every run is a pure function of its seed.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <sstream>

#include "collectors/registry.h"
#include "harness/campaigns/campaign.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/report.h"
#include "harness/trace/generators.h"
#include "harness/trace/text.h"
#include "model/model.h"
#include "tests/printers.h"
#include "tests/tiers.h"

namespace gcfuzz {
namespace {

// 1000 random traces per collector (100 in the fast tier).
constexpr int kTracesPerCollector = 1000;

class Agreement : public ::testing::TestWithParam<const CollectorInfo*> {};

TEST_P(Agreement, AgreesWithItsModelOnRandomTraces) {
  const CollectorInfo& collector = *GetParam();
  rc::detail::TestParams params;
  params.seed = 20261121;
  const int traces = property_count(kTracesPerCollector);
  params.maxSuccess = traces;
  params.maxSize = 63;  // traces of up to 64 ops
  rc::detail::TestMetadata metadata;
  metadata.id = metadata.description = std::string(collector.name);
  int runs = 0;
  const rc::detail::TestResult result = rc::detail::checkTestable(
      [&] {
        const Trace trace = *trace_generator();
        ++runs;
        const LaneResult r = run_lane(trace, collector, Isolation{.fork = false});
        if (r.divergence) {
          RC_FAIL(format_divergence(*r.divergence, trace) + "\ntrace:\n" + print_trace(trace));
        }
      },
      metadata, params);
  std::ostringstream message;
  rc::detail::printResultMessage(result, message);
  EXPECT_TRUE(result.template is<rc::detail::SuccessResult>()) << message.str();
  EXPECT_GE(runs, traces);
}

INSTANTIATE_TEST_SUITE_P(Collectors, Agreement, ::testing::ValuesIn(real_collectors()),
                         collector_test_name);

TEST(Determinism, TheSameSeedGivesTheSameTraces) {
  for (std::size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(campaign_trace(7, i, 64).value(), campaign_trace(7, i, 64).value());
  }
  EXPECT_NE(campaign_trace(7, 3, 64).value(), campaign_trace(8, 3, 64).value());
}

TEST(Determinism, TheModelIsAFunctionOfItsTrace) {
  for (Policy p : {Policy::pep442, Policy::pep442_whole, Policy::legacy}) {
    for (std::size_t i = 0; i < 100; ++i) {
      const Trace t = campaign_trace(3, i, 64).value();
      Model a(ModelOptions{.policy = p}), b(ModelOptions{.policy = p});
      for (const Op& op : t.ops) ASSERT_EQ(a.apply(op), b.apply(op));
    }
  }
}

TEST(Determinism, ACampaignIsAFunctionOfItsSeed) {
  const CollectorInfo* mutant = find_collector("trial-deletion:pep442~finalize-twice");
  ASSERT_NE(mutant, nullptr);
  const CollectorInfo* const collectors[] = {find_collector("refcount:pep442"), mutant};
  CampaignOptions options;
  options.seed = 11;
  options.max_traces = 500;
  options.shrink_tries = 200;  // a budget in tries: the same shrunk trace both times
  const CampaignResult first = run_campaign(collectors, options);
  const CampaignResult second = run_campaign(collectors, options);
  ASSERT_EQ(first.tallies.size(), second.tallies.size());
  for (std::size_t i = 0; i < first.tallies.size(); ++i) {
    EXPECT_EQ(first.tallies[i].traces, second.tallies[i].traces);
    EXPECT_EQ(first.tallies[i].ops, second.tallies[i].ops);
    ASSERT_EQ(first.tallies[i].finding.has_value(), second.tallies[i].finding.has_value());
    if (first.tallies[i].finding) {
      EXPECT_EQ(first.tallies[i].finding->trace_index, second.tallies[i].finding->trace_index);
      EXPECT_EQ(first.tallies[i].finding->shrunk, second.tallies[i].finding->shrunk);
    }
  }
  EXPECT_TRUE(first.tallies[1].finding.has_value());  // the mutant is caught
  EXPECT_FALSE(first.tallies[0].finding.has_value());
}

}  // namespace
}  // namespace gcfuzz
