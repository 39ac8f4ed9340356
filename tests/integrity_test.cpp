// Integrity over the whole heap (SPEC.md section 5): after every collection, the collector's
// object list is exactly the objects the model has not freed. An object reported freed but
// still listed is caught at that collection, though its memory was kept and no sanitizer
// could notice.
#include <gtest/gtest.h>

#include "collectors/registry.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/trace/text.h"

namespace gcfuzz {
namespace {

LaneResult run(const std::string& collector, const std::string& text) {
  const CollectorInfo* c = find_collector(collector);
  EXPECT_NE(c, nullptr) << collector;
  ParseResult p = parse_trace(text, "t.gct");
  EXPECT_TRUE(p.parsed);
  return run_lane(p.parsed->trace, *c, Isolation{.fork = false});
}

TEST(WholeHeapIntegrity, AnObjectReportedFreedButStillListedIsCaughtAtThatCollection) {
  constexpr const char* kTrace = "alloc a 0\nalloc b 0\ndrop a\ncollect\n";
  EXPECT_FALSE(run("mark-sweep:java", kTrace).divergence);
  const LaneResult r = run("mark-sweep:java~freed-stays-listed", kTrace);
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->check, Check::integrity);
  EXPECT_EQ(r.divergence->op_index, 3u);
  EXPECT_EQ(r.divergence->detail, "the collector still lists @0 after reporting it freed");
  EXPECT_EQ(r.divergence->objects, std::vector<ObjectId>{ObjectId{0}});
}

TEST(WholeHeapIntegrity, TrashNotYetCollectedIsStillListedByEveryCollector) {
  // Between collections a tracing collector keeps its trash; the list must show it.
  for (const char* collector : {"mark-sweep:java", "semispace:java", "generational:java",
                                "incremental:java", "mark-sweep:boehm"}) {
    EXPECT_FALSE(run(collector,
                     "alloc a 1\nalloc b 0\nlink a 0 b\ncollect\ndrop a\ndrop b\nalloc c 0\n"
                     "collect young\nalloc d 0\ncollect\n")
                     .divergence)
        << collector;
  }
}

}  // namespace
}  // namespace gcfuzz
