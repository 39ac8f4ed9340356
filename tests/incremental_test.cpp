// incremental:java seen from outside: its mark really is spread over mutator ops, and the
// insertion barrier, black allocation and the restart rule are what keep it safe and exact.
// Each trace passes on the collector and fails on the mutant that lacks the rule.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/registry.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/report.h"
#include "harness/trace/text.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

Trace parse(std::string_view text) {
  const ParseResult r = parse_trace(text, "incremental_test.gct");
  if (r.error) ADD_FAILURE() << r.error->to_string();
  return r.parsed ? r.parsed->trace : Trace{};
}

// Parameterized by the collector so that the mutants' names derive from it.
class IncrementalMarking : public ::testing::TestWithParam<const CollectorInfo*> {
 protected:
  LaneResult run(const Trace& trace, std::string_view suffix = "") const {
    const std::string name = std::string(GetParam()->name) + std::string(suffix);
    const CollectorInfo* info = find_collector(name);
    if (info == nullptr) {
      ADD_FAILURE() << "not registered: " << name;
      return {};
    }
    return run_lane(trace, *info, Isolation{}, LaneOptions{.record_events = true});
  }

  // The collector passes; the mutant fails `check` at op `op_index`.
  void expect_only_mutant_fails(const Trace& trace, std::string_view mutant, Check check,
                                std::size_t op_index) const {
    const LaneResult good = run(trace);
    EXPECT_FALSE(good.divergence) << format_divergence(*good.divergence, trace);
    const LaneResult bad = run(trace, mutant);
    ASSERT_TRUE(bad.divergence) << mutant << " passes:\n" << print_trace(trace);
    EXPECT_EQ(bad.divergence->check, check) << format_divergence(*bad.divergence, trace);
    EXPECT_EQ(bad.divergence->op_index, op_index) << format_divergence(*bad.divergence, trace);
  }
};

INSTANTIATE_TEST_SUITE_P(Registry, IncrementalMarking,
                         ::testing::Values(find_collector("incremental:java")),
                         collector_test_name);

// Marking is paid for by the ops: each earns one unit of work (an alloc two), and scanning
// an object costs two units plus two per slot, so a's scan (4 slots) takes ten ops' work.
// `drop x` deletes a reference to a marked object: the mark restarts with only a grey.
// The next seven mutator ops run while a is still grey, its slot 0 unscanned. Among them
// `deref` takes x, which only that slot and the weak variable w hold: x is white, and only
// the barrier shades it. Without the barrier x stays white, `unlink` (deleting a reference
// to a white object) does not restart the mark, and the collection frees x although v
// holds it.
constexpr std::string_view kDerefWhileMarking = R"(
alloc a 4
alloc x 0
link a 0 x
weak w x
drop x
copy b a
weak w2 b
load c a 1
unlink a 2
drop c
deref v w
unlink a 0
collect
expect alive @1
)";

TEST_P(IncrementalMarking, TheBarrierSavesAnObjectWhileTheMarkIsUnfinished) {
  expect_only_mutant_fails(parse(kDerefWhileMarking), "~deref-no-barrier", Check::safety, 12);
}

// The control: four more ops before `deref` pay for a's scan, which shades x first. The
// missing barrier then does no harm; it is the unfinished mark that exposes it.
TEST_P(IncrementalMarking, AFinishedMarkHidesTheMissingBarrier) {
  std::string text(kDerefWhileMarking);
  const std::string deref = "deref v w\n";
  text.insert(text.find(deref), "weak w2 a\nweak w2 a\nweak w2 a\nweak w2 a\n");
  const Trace trace = parse(text);
  EXPECT_FALSE(run(trace).divergence);
  const LaneResult bad = run(trace, "~deref-no-barrier");
  EXPECT_FALSE(bad.divergence) << format_divergence(*bad.divergence, trace);
}

// `drop b` restarts the mark with no root reaching @0, which stays white: only w holds it.
// `deref` puts it in a variable after the roots were shaded; the barrier must shade it.
// (This one needs no unfinished mark: the weak variable is the only path.)
TEST_P(IncrementalMarking, TheBarrierSavesAnObjectHeldOnlyWeakly) {
  const Trace trace = parse(R"(
alloc b 0
weak w b
drop b
deref v w
collect
expect alive @0
)");
  expect_only_mutant_fails(trace, "~deref-no-barrier", Check::safety, 4);
}

// Roots are shaded once, when the cycle starts, and never rescanned: an object allocated
// during the mark must be black, or nothing ever marks it.
TEST_P(IncrementalMarking, ObjectsAllocatedDuringTheMarkAreBlack) {
  const Trace trace = parse(R"(
alloc a 1
alloc b 0
collect
expect alive @0 @1
)");
  expect_only_mutant_fails(trace, "~allocate-white", Check::safety, 2);
}

// `drop b` restarts the mark: a is grey, b white. Four ops pay for a's scan, which shades
// b: b is marked when `unlink` cuts its last reference. The restart whitens it again, so
// the collection frees it, exactly as the model does; without the restart it floats to
// the next collection.
TEST_P(IncrementalMarking, TheRestartLeavesNoFloatingGarbage) {
  const Trace trace = parse(R"(
alloc a 1
alloc b 0
link a 0 b
drop b
weak w a
weak w a
weak w a
weak w a
unlink a 0
collect
)");
  const LaneResult good = run(trace);
  ASSERT_FALSE(good.divergence) << format_divergence(*good.divergence, trace);
  ASSERT_EQ(good.observed.size(), trace.ops.size());
  EXPECT_EQ(good.observed.back().freed, std::vector<ObjectId>{ObjectId{1}});
  EXPECT_EQ(good.observed.back().collected, 1);
  expect_only_mutant_fails(trace, "~no-restart", Check::exactness, 9);
}

}  // namespace
}  // namespace gcfuzz
