// The semispace collector really moves objects, and the space it leaves is poisoned: a
// stale handle traps instead of reading a plausible old copy.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string_view>

#include "gcfuzz/collector.hpp"
#include "harness/engine/runner.h"
#include "tests/printers.h"
#include "tests/sanitizer.h"

namespace gcfuzz {
namespace {

class SemispaceMoves : public ::testing::TestWithParam<const CollectorInfo*> {};

TEST_P(SemispaceMoves, ObjectsChangeHandlesButKeepIdsAndSlots) {
  const CollectorInfo& info = *GetParam();
  ASSERT_TRUE(info.capabilities.moving);
  RecordingObserver observer;
  const std::unique_ptr<Collector> collector = info.make(observer);
  const HeapView& view = collector->view();
  collector->alloc("a", 2, Finalizer::none, 0);
  collector->alloc("b", 0, Finalizer::none, 0);
  collector->link("a", 0, "b");
  collector->link("a", 1, "a");  // a self-loop must follow the copy too
  const HeapView::Ref a_before = view.variable("a");
  const HeapView::Ref b_before = view.variable("b");
  const ObjectId a_id = view.id(a_before);
  const ObjectId b_id = view.id(b_before);

  collector->collect(/*young=*/false);
  EXPECT_EQ(observer.take().collected, 0);

  const HeapView::Ref a_after = view.variable("a");
  const HeapView::Ref b_after = view.variable("b");
  ASSERT_NE(a_after, nullptr);
  ASSERT_NE(b_after, nullptr);
  EXPECT_NE(a_after, a_before);
  EXPECT_NE(b_after, b_before);
  EXPECT_EQ(view.id(a_after), a_id);
  EXPECT_EQ(view.id(b_after), b_id);
  ASSERT_EQ(view.slot_count(a_after), 2);
  EXPECT_EQ(view.slot(a_after, 0), b_after);
  EXPECT_EQ(view.slot(a_after, 1), a_after);
}

TEST_P(SemispaceMoves, AStaleHandleTrapsAfterAFlip) {
  if (!kAddressSanitizer) GTEST_SKIP() << "needs AddressSanitizer (GCFUZZ_SANITIZE=ON)";
  const CollectorInfo& info = *GetParam();
  EXPECT_DEATH(
      {
        RecordingObserver observer;
        const std::unique_ptr<Collector> collector = info.make(observer);
        collector->alloc("a", 1, Finalizer::none, 0);
        const HeapView::Ref stale = collector->view().variable("a");
        collector->collect(/*young=*/false);
        // `a` survived, but at a new address: its old copy is in the poisoned from-space.
        std::printf("%u\n", collector->view().id(stale).value);
      },
      "use-after-poison");
}

INSTANTIATE_TEST_SUITE_P(Registry, SemispaceMoves,
                         ::testing::ValuesIn(real_collectors("semispace:")), collector_test_name);

}  // namespace
}  // namespace gcfuzz
