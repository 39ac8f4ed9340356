// Every collector has mutants (a checker that catches nothing proves nothing); crashes and hangs
// of a collector are findings too, not the end of the run. That a random campaign catches every
// mutant, by a shrunk trace its original passes, is the `selftest` test (tests/CMakeLists.txt):
// `gcfuzz selftest` checks exactly that, for every mutant, and fails otherwise.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "collectors/heap_memory.h"
#include "collectors/registry.h"
#include "harness/campaigns/campaign.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/report.h"
#include "harness/trace/text.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

TEST(Registry, EveryCollectorHasAtLeastTwoMutants) {
  for (const CollectorInfo& c : registry()) {
    if (c.is_mutant()) continue;
    int n = 0;
    for (const CollectorInfo& m : registry()) n += m.mutant_of == c.name;
    EXPECT_GE(n, 2) << c.name;
  }
}

// ---- Isolation: collectors that crash or hang (test-only, not registered) ----

// A heap with nothing in it.
class EmptyView : public HeapView {
 public:
  void for_each_variable(const std::function<void(std::string_view, Ref)>&) const override {}
  void for_each_weak(const std::function<void(std::string_view, Ref)>&) const override {}
  void for_each_in_list(RootList, const std::function<void(Ref)>&) const override {}
  void for_each_object(const std::function<void(Ref)>&) const override {}
  ObjectId id(Ref) const override { return {}; }
  int slot_count(Ref) const override { return 0; }
  Ref slot(Ref, int) const override { return nullptr; }
};

// A collector that reads an object it has just freed on `collect`.
class UseAfterFree final : public Collector, EmptyView {
 public:
  explicit UseAfterFree(Observer& o) : observer_(o) {}
  void alloc(std::string_view, int, Finalizer, std::uint32_t) override {}
  void link(std::string_view, int, std::string_view) override {}
  void unlink(std::string_view, int) override {}
  void load(std::string_view, std::string_view, int) override {}
  void copy(std::string_view, std::string_view) override {}
  void drop(std::string_view) override {}
  void weak(std::string_view, std::string_view, bool) override {}
  void deref(std::string_view, std::string_view) override {}
  void collect(bool) override {
    auto* p = static_cast<volatile int*>(memory_.allocate(16));
    memory_.release(const_cast<int*>(p), 16);
    observer_.collected(p[1]);  // traps under AddressSanitizer
  }
  void clear(RootList) override {}
  const HeapView& view() const override { return *this; }

 private:
  Observer& observer_;
  ObjectMemory memory_;
};

// A collector whose `collect` never returns.
class Hang final : public Collector, EmptyView {
 public:
  explicit Hang(Observer&) {}
  void alloc(std::string_view, int, Finalizer, std::uint32_t) override {}
  void link(std::string_view, int, std::string_view) override {}
  void unlink(std::string_view, int) override {}
  void load(std::string_view, std::string_view, int) override {}
  void copy(std::string_view, std::string_view) override {}
  void drop(std::string_view) override {}
  void weak(std::string_view, std::string_view, bool) override {}
  void deref(std::string_view, std::string_view) override {}
  void collect(bool) override {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  void clear(RootList) override {}
  const HeapView& view() const override { return *this; }
};

constexpr Capabilities kNothing{.policy = Policy::pep442, .collects_cycles = false};

Trace two_ops() {
  Trace t;
  t.ops = {Op{Drop{Var{"a"}}}, Op{Collect{}}};
  return t;
}

TEST(Isolation, ACrashingCollectorIsAFindingWithTheSanitizerReport) {
  const CollectorInfo info{
      "test:use-after-free", "", kNothing, "",
      [](Observer& o) -> std::unique_ptr<Collector> { return std::make_unique<UseAfterFree>(o); }};
  const LaneResult r = run_lane(two_ops(), info, Isolation{});
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->check, Check::crash);
  EXPECT_EQ(r.divergence->op_index, 1u);
  EXPECT_NE(r.divergence->detail.find("AddressSanitizer: use-after-poison"), std::string::npos)
      << r.divergence->detail;
}

TEST(Isolation, AHangingCollectorTimesOut) {
  const CollectorInfo info{
      "test:hang", "", kNothing, "",
      [](Observer& o) -> std::unique_ptr<Collector> { return std::make_unique<Hang>(o); }};
  const LaneResult r =
      run_lane(two_ops(), info, Isolation{.quiet_limit = std::chrono::milliseconds(1500)});
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->check, Check::timeout);
  EXPECT_EQ(r.divergence->op_index, 1u);
}

Trace one_drop() {
  Trace t;
  t.ops = {Op{Drop{Var{"a"}}}};
  return t;
}

// Shrinking's candidates share one child; a crash or a hang ends it, and the next trace runs
// in a new one.
TEST(Isolation, TheLaneServerReplacesAChildThatCrashedOrHung) {
  const CollectorInfo crashing{
      "test:use-after-free", "", kNothing, "",
      [](Observer& o) -> std::unique_ptr<Collector> { return std::make_unique<UseAfterFree>(o); }};
  LaneServer lanes(crashing, Isolation{});
  for (int round = 0; round < 2; ++round) {
    const LaneResult crash = lanes.run(two_ops());
    ASSERT_TRUE(crash.divergence);
    EXPECT_EQ(crash.divergence->check, Check::crash);
    EXPECT_EQ(crash.divergence->op_index, 1u);
    EXPECT_NE(crash.divergence->detail.find("AddressSanitizer"), std::string::npos);
    const LaneResult fine = lanes.run(one_drop());
    EXPECT_FALSE(fine.divergence) << fine.divergence->detail;
    EXPECT_EQ(fine.ops_run, 1u);
  }
  const CollectorInfo hanging{
      "test:hang", "", kNothing, "",
      [](Observer& o) -> std::unique_ptr<Collector> { return std::make_unique<Hang>(o); }};
  LaneServer hangs(hanging, Isolation{.quiet_limit = std::chrono::milliseconds(1000)});
  const LaneResult hung = hangs.run(two_ops());
  ASSERT_TRUE(hung.divergence);
  EXPECT_EQ(hung.divergence->check, Check::timeout);
  EXPECT_FALSE(hangs.run(one_drop()).divergence);
}

// A trace run by the lane server gives what a child of its own gives: the divergence, the ops
// run, the events and the rules, for a mutant over the first traces of a campaign.
TEST(Isolation, TheLaneServerAgreesWithAChildPerTrace) {
  const CollectorInfo* mutant = find_collector("mark-sweep:java~skip-last-slot");
  ASSERT_NE(mutant, nullptr);
  const LaneOptions record{.record_events = true, .record_rules = true};
  LaneServer lanes(*mutant, Isolation{}, record);
  int diverged = 0;
  for (std::size_t i = 0; i < 80; ++i) {
    const Trace trace = campaign_trace(1, i, 64).value();
    const LaneResult served = lanes.run(trace);
    const LaneResult alone = run_lane(trace, *mutant, Isolation{}, record);
    ASSERT_EQ(served.divergence.has_value(), alone.divergence.has_value()) << print_trace(trace);
    if (served.divergence) {
      ++diverged;
      EXPECT_EQ(served.divergence->check, alone.divergence->check);
      EXPECT_EQ(served.divergence->op_index, alone.divergence->op_index);
    }
    EXPECT_EQ(served.ops_run, alone.ops_run);
    EXPECT_EQ(served.observed, alone.observed);
    ASSERT_EQ(served.rules.size(), alone.rules.size());
    for (std::size_t k = 0; k < served.rules.size(); ++k) {
      EXPECT_EQ(served.rules[k].bits(), alone.rules[k].bits());
    }
  }
  EXPECT_GT(diverged, 0);  // the mutant is caught within these traces (trace 54, seed 1)
}

TEST(Isolation, ObjectMemoryPoisonsWhatIsReleased) {
  EXPECT_DEATH(
      {
        ObjectMemory memory;
        auto* p = static_cast<volatile char*>(memory.allocate(48));
        p[0] = 1;
        memory.release(const_cast<char*>(p), 48);
        p[0] = 2;
      },
      "use-after-poison");
}

}  // namespace
}  // namespace gcfuzz
