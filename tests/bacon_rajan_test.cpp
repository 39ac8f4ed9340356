// The Bacon-Rajan collector's root buffer, case by case: cycles are found through buffered
// candidates only, live candidates leave the buffer with their counts intact, candidates
// freed by refcount leave it safely, and the mutants of these rules are told apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "collectors/bacon_rajan/bacon_rajan.h"
#include "collectors/registry.h"
#include "harness/engine/runner.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/report.h"
#include "harness/trace/text.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

using bacon_rajan::BaconRajan;

Trace parse(std::string_view text) {
  ParseResult r = parse_trace(text, "inline");
  if (!r.parsed) ADD_FAILURE() << r.error->to_string();
  return r.parsed ? r.parsed->trace : Trace{};
}

std::vector<ObjectId> ids(std::initializer_list<std::uint32_t> values) {
  std::vector<ObjectId> result;
  for (std::uint32_t v : values) result.push_back(ObjectId{v});
  return result;
}

// The collector on its own, driven op by op, so a test can read its buffer between ops.
struct Driven {
  RecordingObserver observer;
  BaconRajan heap{observer, bacon_rajan::Bug::none};

  // Runs the ops of `text`; returns the events of the last one.
  Events run(std::string_view text) {
    Events last;
    for (const Op& op : parse(text).ops) {
      perform(heap, op);
      last = observer.take();
    }
    return last;
  }

  std::int64_t refcount_of(std::string_view var) const {
    std::int64_t count = -1;
    heap.view().for_each_variable([&](std::string_view name, HeapView::Ref o) {
      if (name == var) count = heap.view().refcount(o).value_or(-1);
    });
    return count;
  }
};

// The trace through the harness (model, checks and the trace's `expect` lines), forked.
std::optional<Divergence> divergence_on(std::string_view collector, std::string_view text) {
  const CollectorInfo* info = find_collector(collector);
  if (info == nullptr) {
    ADD_FAILURE() << "no collector " << collector;
    return std::nullopt;
  }
  return run_lane(parse(text), *info, Isolation{}).divergence;
}

::testing::AssertionResult passes(std::string_view collector, std::string_view text) {
  const std::optional<Divergence> d = divergence_on(collector, text);
  if (!d) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << collector << ": " << format_divergence(*d, parse(text));
}

// c is a candidate that turns out live; dropping c then cuts its self-loop loose, and only
// buffering c again finds it.
constexpr std::string_view kCandidateAgain = R"(
alloc c 1 fin=log
link c 0 c
copy t c
drop t
collect
expect collected 0
drop c
collect
expect finalized @0
expect freed @0
expect collected 1
)";

TEST(BaconRajan, ACycleIsCollectedOnlyThroughABufferedCandidate) {
  Driven d;
  // A live cycle that nothing ever decrements, and a cycle a <-> b.
  d.run(
      "alloc x 1\nalloc y 1\nlink x 0 y\nlink y 0 x\n"
      "alloc a 1\nalloc b 1\nlink a 0 b\nlink b 0 a\n");
  EXPECT_EQ(d.heap.candidates(), ids({}));
  EXPECT_EQ(d.run("collect"), Events{.collected = 0});
  EXPECT_EQ(d.heap.examined_in_last_collection(), 0u) << "no candidate, nothing examined";

  // Dropping a leaves it with b's reference: a possible root, but b's variable keeps it.
  d.run("drop a");
  EXPECT_EQ(d.heap.candidates(), ids({2}));
  EXPECT_EQ(d.run("collect"), Events{.collected = 0});
  EXPECT_EQ(d.heap.examined_in_last_collection(), 2u);
  EXPECT_EQ(d.heap.candidates(), ids({})) << "a turned out live and left the buffer";

  // Dropping b makes the cycle trash; b is the candidate through which it is found, and
  // the live cycle x <-> y is never looked at.
  d.run("drop b");
  EXPECT_EQ(d.heap.candidates(), ids({3}));
  EXPECT_EQ(d.run("collect"), (Events{.freed = ids({2, 3}), .collected = 2}));
  EXPECT_EQ(d.heap.examined_in_last_collection(), 2u);
  EXPECT_EQ(d.heap.candidates(), ids({}));

  EXPECT_TRUE(passes("bacon-rajan:pep442", kCandidateAgain));
  const auto caught = divergence_on("bacon-rajan:pep442~root-keeps-buffered-flag", kCandidateAgain);
  ASSERT_TRUE(caught);
  EXPECT_EQ(caught->check, Check::exactness);
}

constexpr std::string_view kLiveCandidate = R"(
alloc a 1
alloc b 2
alloc c 0
link a 0 b
link b 0 a
link b 1 c
copy t a
drop t
collect
expect collected 0
expect refcount a 2
expect refcount b 2
expect refcount c 2
)";

TEST(BaconRajan, ACandidateThatTurnsOutLiveLeavesTheBufferAndKeepsItsCount) {
  Driven d;
  d.run("alloc a 1\nalloc b 2\nalloc c 0\nlink a 0 b\nlink b 0 a\nlink b 1 c\ncopy t a\ndrop t");
  EXPECT_EQ(d.heap.candidates(), ids({0}));
  EXPECT_EQ(d.run("collect"), Events{.collected = 0});
  EXPECT_EQ(d.heap.examined_in_last_collection(), 3u);
  EXPECT_EQ(d.heap.candidates(), ids({}));
  // MarkGray took b's and a's references from the counts; ScanBlack gave them back.
  EXPECT_EQ(d.refcount_of("a"), 2);
  EXPECT_EQ(d.refcount_of("b"), 2);
  EXPECT_EQ(d.refcount_of("c"), 2);

  EXPECT_TRUE(passes("bacon-rajan:pep442", kLiveCandidate));
  const auto caught = divergence_on("bacon-rajan:pep442~scan-black-no-restore", kLiveCandidate);
  ASSERT_TRUE(caught);
  EXPECT_EQ(caught->check, Check::refcount);
}

constexpr std::string_view kFreedCandidate = R"(
alloc a 0
copy b a
drop b
drop a
expect freed @0
collect
expect collected 0
)";

TEST(BaconRajan, ACandidateDyingByRefcountLeavesTheBufferSafely) {
  Driven d;
  d.run("alloc a 0\ncopy b a\ndrop b");
  EXPECT_EQ(d.heap.candidates(), ids({0}));
  EXPECT_EQ(d.run("drop a"), Events{.freed = ids({0})});
  EXPECT_EQ(d.heap.candidates(), ids({}));
  EXPECT_EQ(d.run("collect"), Events{.collected = 0});

  EXPECT_TRUE(passes("bacon-rajan:pep442", kFreedCandidate));
  // Left in the buffer, the freed object is read by the next MarkRoots: AddressSanitizer
  // traps on the poisoned block.
  const auto caught = divergence_on("bacon-rajan:pep442~freed-stays-buffered", kFreedCandidate);
  ASSERT_TRUE(caught);
  EXPECT_EQ(caught->check, Check::crash);
}

// SPEC 3.1 step 5: freeing f kills g (legacy) by refcount, and g's death releases the
// cycle a <-> b, which stays in L (uncollectable this time) but is trash afterwards. The
// release buffered a during the collection, so the next collection finds the cycle.
constexpr std::string_view kBufferedDuringCollection = R"(
alloc f 2
alloc g 1 fin=legacy
alloc a 1
alloc b 1
link f 0 f
link f 1 g
link g 0 a
link a 0 b
link b 0 a
drop g
drop a
drop b
drop f
collect
expect freed @0 @1
expect finalized @1
expect alive @2 @3
expect collected 3
collect
expect freed @2 @3
expect collected 2
)";

TEST(BaconRajan, ACandidateBufferedDuringACollectionReachesTheNextOne) {
  Driven d;
  const Trace trace = parse(kBufferedDuringCollection);
  const auto first_collect = std::find_if(trace.ops.begin(), trace.ops.end(), [](const Op& op) {
    return std::holds_alternative<Collect>(op);
  });
  for (auto it = trace.ops.begin(); it <= first_collect; ++it) perform(d.heap, *it);
  EXPECT_EQ(d.heap.candidates(), ids({2}));
  EXPECT_TRUE(passes("bacon-rajan:pep442", kBufferedDuringCollection));
}

// MarkGray, ScanBlack and CollectWhite follow explicit work lists: a garbage cycle far
// longer than the stack could recurse through is collected.
TEST(BaconRajan, ALongGarbageCycleIsCollectedWithoutRecursion) {
  constexpr int kLength = 200'000;
  RecordingObserver observer;
  BaconRajan heap(observer, bacon_rajan::Bug::none);
  heap.alloc("first", 1, Finalizer::none, 0);
  heap.copy("previous", "first");
  for (int i = 1; i < kLength; ++i) {
    heap.alloc("current", 1, Finalizer::none, 0);
    heap.link("current", 0, "previous");
    heap.copy("previous", "current");
  }
  heap.link("first", 0, "previous");
  heap.drop("first");
  heap.drop("previous");
  heap.drop("current");
  observer.take();
  heap.collect(false);
  const Events events = observer.take();
  EXPECT_EQ(events.collected, kLength);
  EXPECT_EQ(events.freed.size(), static_cast<std::size_t>(kLength));
}

}  // namespace
}  // namespace gcfuzz
