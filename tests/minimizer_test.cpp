// gcfuzz minimize's delta debugging: it keeps the failure, reaches a local minimum, and
// shrinks a real mutant's failure buried in noise back to its core.
#include <gtest/gtest.h>

#include <string>

#include "harness/engine/selection.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/trace/minimizer.h"
#include "harness/trace/text.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

Trace parse(const std::string& text) {
  ParseResult r = parse_trace(text, "test.gct");
  EXPECT_FALSE(r.error) << r.error->to_string();
  return r.parsed->trace;
}

bool has_young_collect(const Trace& t) {
  return print_trace(t).find("collect young") != std::string::npos;
}

TEST(Minimizer, ShrinksToTheOneOpThePredicateNeeds) {
  const Trace t = parse(
      "alloc a 2 fin=log\nalloc b 1\nlink a 0 b\ncollect young\ndrop b\nweak w a cb\n"
      "collect\ndrop a\n");
  const MinimizeResult r = minimize(t, has_young_collect);
  EXPECT_EQ(print_trace(r.trace), "collect young\n");
  EXPECT_GT(r.tests, 0u);
}

TEST(Minimizer, ResultIsALocalMinimum) {
  // Fails while a is allocated with two or more slots and some link names it.
  auto fails = [](const Trace& t) {
    const std::string text = print_trace(t);
    return text.find("alloc a 2") != std::string::npos && text.find("link a") != std::string::npos;
  };
  const Trace t =
      parse("alloc b 1\nalloc a 2 fin=resurrect\nlink a 1 b\ndrop b\nlink a 0 a\ncollect\n");
  const MinimizeResult r = minimize(t, fails);
  ASSERT_TRUE(fails(r.trace));
  for (std::size_t i = 0; i < r.trace.ops.size(); ++i) {
    Trace smaller = r.trace;
    smaller.ops.erase(smaller.ops.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_FALSE(fails(smaller)) << "op " << i << " could still be removed:\n"
                                 << print_trace(r.trace);
  }
}

// A bacon-rajan mutant's failure (found by `gcfuzz run`), with unrelated work around it.
TEST(Minimizer, RecoversAMutantsFailureFromNoise) {
  const Selection s = select_collectors({"bacon-rajan:pep442~scan-black-no-restore"});
  ASSERT_EQ(s.collectors.size(), 1u);
  const CollectorInfo& mutant = *s.collectors.front();
  const Trace noisy = parse(
      "alloc x 1 fin=log\nalloc y 2\nlink y 1 x\nalloc a 3\ndrop x\ncollect young\n"
      "copy a a\nweak w y cb\nalloc z 1\nlink a 0 a\nlink z 0 y\ndrop y\ncollect\n"
      "deref q w\ndrop z\ncollect\n");
  const Isolation isolation{.fork = true};
  const LaneResult original = run_lane(noisy, mutant, isolation);
  ASSERT_TRUE(original.divergence) << "the noisy trace no longer shows the mutant's bug";
  auto still_fails = [&](const Trace& t) {
    const LaneResult r = run_lane(t, mutant, isolation);
    return r.divergence && r.divergence->same_kind(*original.divergence);
  };
  const MinimizeResult r = minimize(noisy, still_fails);
  EXPECT_TRUE(still_fails(r.trace));
  // Delta debugging reaches a local minimum, not always the smallest trace: here 7 ops
  // (a chain that the mutant's scan leaves miscounted), from 16.
  EXPECT_LE(r.trace.ops.size(), 8u) << print_trace(r.trace);
  for (std::size_t i = 0; i < r.trace.ops.size(); ++i) {
    Trace smaller = r.trace;
    smaller.ops.erase(smaller.ops.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_FALSE(still_fails(smaller)) << "op " << i << " could still be removed";
  }
  // The correct collector agrees on the minimized trace: the failure is the mutant's.
  const Selection good = select_collectors({"bacon-rajan:pep442"});
  EXPECT_FALSE(run_lane(r.trace, *good.collectors.front(), isolation).divergence);
}

}  // namespace
}  // namespace gcfuzz
