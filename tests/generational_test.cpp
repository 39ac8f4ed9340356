// The generational collector's own mechanics, beyond what the differential check sees: the
// write barrier, promotion moving nursery objects, and the poisoned nursery after a minor
// collection.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gcfuzz/collector.hpp"
#include "harness/engine/runner.h"
#include "tests/printers.h"
#include "tests/sanitizer.h"

namespace gcfuzz {
namespace {

class Generational : public ::testing::TestWithParam<const CollectorInfo*> {};
class GenerationalDeathTest : public ::testing::TestWithParam<const CollectorInfo*> {};

TEST_P(Generational, MinorCollectionFreesYoungTrashAndKeepsWhatAnOldObjectHolds) {
  RecordingObserver observer;
  const std::unique_ptr<Collector> c = GetParam()->make(observer);
  const HeapView& view = c->view();
  c->alloc("o", 1, Finalizer::none, 0);  // @0
  c->collect(/*young=*/false);           // o is old now
  EXPECT_EQ(observer.take().collected, 0);
  c->alloc("y", 0, Finalizer::none, 0);  // @1: held only by old o, through the barrier
  c->alloc("t", 0, Finalizer::none, 0);  // @2: young trash
  c->link("o", 0, "y");
  c->drop("y");
  c->drop("t");
  observer.take();

  c->collect(/*young=*/true);
  const Events events = observer.take();
  EXPECT_EQ(events.freed, std::vector<ObjectId>{ObjectId{2}});
  EXPECT_EQ(events.collected, 1);

  const HeapView::Ref o = view.variable("o");
  ASSERT_NE(o, nullptr);
  const HeapView::Ref y = view.slot(o, 0);
  ASSERT_NE(y, nullptr);
  EXPECT_EQ(view.id(y), ObjectId{1});
}

TEST_P(Generational, PromotionMovesNurseryObjectsButKeepsIdsAndSlots) {
  RecordingObserver observer;
  const std::unique_ptr<Collector> c = GetParam()->make(observer);
  const HeapView& view = c->view();
  c->alloc("a", 2, Finalizer::none, 0);
  c->alloc("b", 0, Finalizer::none, 0);
  c->link("a", 0, "b");
  c->link("a", 1, "a");  // a self-loop must follow the copy too
  c->weak("w", "b", false);
  const HeapView::Ref a_before = view.variable("a");
  const HeapView::Ref b_before = view.variable("b");

  c->collect(/*young=*/true);
  EXPECT_EQ(observer.take().collected, 0);

  const HeapView::Ref a_after = view.variable("a");
  const HeapView::Ref b_after = view.variable("b");
  ASSERT_NE(a_after, nullptr);
  ASSERT_NE(b_after, nullptr);
  EXPECT_NE(a_after, a_before);
  EXPECT_NE(b_after, b_before);
  EXPECT_EQ(view.id(a_after), ObjectId{0});
  EXPECT_EQ(view.id(b_after), ObjectId{1});
  EXPECT_EQ(view.slot_count(a_after), 2);
  EXPECT_EQ(view.slot(a_after, 0), b_after);
  EXPECT_EQ(view.slot(a_after, 1), a_after);
  HeapView::Ref weak_referent = nullptr;
  view.for_each_weak([&](std::string_view, HeapView::Ref ref) { weak_referent = ref; });
  EXPECT_EQ(weak_referent, b_after);

  // Old objects do not move again: a full collection marks them in place.
  c->collect(/*young=*/false);
  EXPECT_EQ(observer.take().collected, 0);
  EXPECT_EQ(view.variable("a"), a_after);
}

// What a finalizer allocates during a minor collection is young, and an old object that a
// finalizer stores it into is remembered: the next minor collection keeps it.
TEST_P(Generational, TheAllocFinalizersStoreGoesThroughTheBarrier) {
  RecordingObserver observer;
  const std::unique_ptr<Collector> c = GetParam()->make(observer);
  c->alloc("a", 1, Finalizer::alloc, 0);  // @0
  c->drop("a");
  c->collect(/*young=*/true);  // @0 is kept, promoted, finalized; its finalizer makes @1
  Events events = observer.take();
  EXPECT_EQ(events.finalized, std::vector<ObjectId>{ObjectId{0}});
  EXPECT_EQ(events.collected, 0);

  c->collect(/*young=*/true);  // @1 is young, held by old @0 (trash, but old): kept
  events = observer.take();
  EXPECT_TRUE(events.freed.empty());
  EXPECT_EQ(events.collected, 0);

  c->collect(/*young=*/false);  // both are trash now; @0 was finalized already
  events = observer.take();
  EXPECT_EQ(events.freed, (std::vector<ObjectId>{ObjectId{0}, ObjectId{1}}));
  EXPECT_TRUE(events.finalized.empty());
}

TEST_P(GenerationalDeathTest, AStaleNurseryHandleTrapsAfterAMinorCollection) {
  if (!kAddressSanitizer) GTEST_SKIP() << "poisoning needs AddressSanitizer";
  EXPECT_DEATH(
      {
        RecordingObserver observer;
        const std::unique_ptr<Collector> c = GetParam()->make(observer);
        c->alloc("a", 1, Finalizer::none, 0);
        const HeapView& view = c->view();
        const HeapView::Ref stale = view.variable("a");
        c->collect(/*young=*/true);  // a is promoted; its nursery copy is poisoned
        std::printf("%u\n", view.id(stale).value);
      },
      "use-after-poison");
}

INSTANTIATE_TEST_SUITE_P(Registry, Generational,
                         ::testing::ValuesIn(real_collectors("generational:")),
                         collector_test_name);
INSTANTIATE_TEST_SUITE_P(Registry, GenerationalDeathTest,
                         ::testing::ValuesIn(real_collectors("generational:")),
                         collector_test_name);

}  // namespace
}  // namespace gcfuzz
