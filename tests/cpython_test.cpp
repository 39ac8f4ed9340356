// The embedded CPython 3.11 collector (`cpython-3.11:pep442`): the rules of SPEC 3.1 and 4
// as the real interpreter plays them, with exact events; its reference counts; the clean
// state between traces; and a wrong adapter (tp_traverse skipping a slot) that the harness
// must catch. The random-trace agreement and the corpus replay run it with every collector
// (agreement_test.cpp, ctest replay_corpus).
#include <gtest/gtest.h>

#ifdef GCFUZZ_HAVE_CPYTHON

#include <memory>
#include <string>

#include "collectors/cpython/cpython.h"
#include "collectors/registry.h"
#include "gcfuzz/collector.hpp"
#include "harness/engine/runner.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/trace/text.h"
#include "tests/model_steps.h"

namespace gcfuzz {
namespace {

constexpr std::string_view kName = "cpython-3.11:pep442";

// One collector instance on the real interpreter, fed .gct lines.
class Embedded {
 public:
  explicit Embedded(std::string_view name = kName)
      : collector_(find_collector(name)->make(observer_)) {}

  // Applies the steps in order, checking each op's events exactly.
  void run(std::initializer_list<Step> steps) {
    for (const Step& step : steps) {
      perform(*collector_, parse_op(step.op));
      EXPECT_EQ(observer_.take(), step.events) << "`" << step.op << "` on " << kName;
    }
  }
  const HeapView& view() const { return collector_->view(); }
  void reset() { collector_.reset(); }

 private:
  RecordingObserver observer_;
  std::unique_ptr<Collector> collector_;
};

TEST(EmbeddedCPython, IsRegisteredAsTheRealInterpreter) {
  const CollectorInfo* info = find_collector(kName);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->capabilities.policy, Policy::pep442);
  EXPECT_EQ(info->capabilities.precision, Precision::exact);
  EXPECT_TRUE(info->capabilities.generational);
  EXPECT_NE(info->origin.find("CPython 3.11"), std::string_view::npos);
}

TEST(EmbeddedCPython, RefcountDeathRunsTheFinalizerThenFrees) {
  Embedded c;
  c.run({
      {"alloc a 1 fin=log", nothing},
      {"alloc b 0 fin=legacy", nothing},
      {"link a 0 b", nothing},
      {"drop b", nothing},
      {"drop a", events().freed({0, 1}).finalized({0, 1})},
      {"collect", events().collected(0)},
  });
}

TEST(EmbeddedCPython, ResurrectionKeepsWeakReferencesAndTheFinalizerRunsOnce) {
  Embedded c;
  c.run({
      {"alloc a 0 fin=resurrect", nothing},
      {"weak w a cb", nothing},
      {"drop a", events().finalized({0})},
      {"deref a w", nothing},  // the weak reference survived the resurrection
      {"drop a", nothing},     // still held by revived
      {"clear revived", events().freed({0}).cleared({"w"}).callbacks({"w"})},
  });
}

// The seed documents' LeakTest under PEP 442: the cycle through two __del__ is finalized
// once, then freed.
TEST(EmbeddedCPython, CycleThroughFinalizersIsFinalizedOnceAndFreed) {
  Embedded c;
  c.run({
      {"alloc a 1 fin=log", nothing},
      {"alloc b 1 fin=log", nothing},
      {"link a 0 b", nothing},
      {"link b 0 a", nothing},
      {"drop a", nothing},
      {"drop b", nothing},
      {"collect", events().finalized({0, 1}).freed({0, 1}).collected(2)},
      {"collect", events().collected(0)},
  });
}

// tp_del is still honoured by 3.11's collector: the cycle lands in gc.garbage, and again
// after gc.garbage is emptied.
TEST(EmbeddedCPython, LegacyFinalizerCycleLandsInGcGarbage) {
  Embedded c;
  c.run({
      {"alloc a 1 fin=legacy", nothing},
      {"alloc b 1", nothing},
      {"link a 0 b", nothing},
      {"link b 0 a", nothing},
      {"drop a", nothing},
      {"drop b", nothing},
      {"collect", events().garbage({0}).collected(2)},
      {"clear garbage", nothing},
      {"collect", events().garbage({0}).collected(2)},
  });
}

TEST(EmbeddedCPython, WeakReferencesAreClearedBeforeFinalizersResurrect) {
  Embedded c;
  c.run({
      {"alloc a 1 fin=resurrect", nothing},
      {"link a 0 a", nothing},
      {"weak w a cb", nothing},
      {"drop a", nothing},
      {"collect", events().cleared({"w"}).callbacks({"w"}).finalized({0}).collected(0)},
      {"clear revived", nothing},  // the self-loop keeps it: trash again
      {"collect", events().freed({0}).collected(1)},
  });
}

TEST(EmbeddedCPython, FinalizerAllocationsAreNumberedByCreator) {
  Embedded c;
  c.run({
      {"alloc a 1 fin=alloc", nothing},
      {"alloc b 1 fin=alloc", nothing},
      {"link a 0 b", nothing},
      {"link b 0 a", nothing},
      {"drop a", nothing},
      {"drop b", nothing},
      // Each finalizer replaces slot 0, breaking the cycle: both die by refcount, with
      // their allocations (@2 from @0, @3 from @1, whatever order CPython ran them in).
      {"collect", events().finalized({0, 1}).freed({0, 1, 2, 3}).collected(0)},
  });
}

TEST(EmbeddedCPython, YoungCollectionIsGenerationZero) {
  Embedded c;
  c.run({
      {"alloc o 1", nothing},
      {"alloc old 1", nothing},
      {"link old 0 old", nothing},
      {"drop old", nothing},
      {"collect", events().freed({1}).collected(1)},  // o is old now
      {"alloc y 1", nothing},
      {"link y 0 y", nothing},
      {"link o 0 y", nothing},
      {"drop y", nothing},
      {"alloc t 1", nothing},
      {"link t 0 t", nothing},
      {"drop t", nothing},
      {"collect young", events().freed({3}).collected(1)},  // y is held by old o
      {"unlink o 0", nothing},
      {"collect young", events().collected(0)},  // y survived a collection: old
      {"collect", events().freed({2}).collected(1)},
  });
}

TEST(EmbeddedCPython, ReferenceCountsAreTheStrongReferences) {
  Embedded c;
  c.run({
      {"alloc a 0 fin=resurrect", nothing},
      {"copy b a", nothing},
      {"alloc c 2", nothing},
      {"link c 0 a", nothing},
      {"link c 1 a", nothing},
      {"weak w a", nothing},  // not a strong reference
  });
  const HeapView& view = c.view();
  EXPECT_EQ(view.refcount(view.variable("a")), 4);
  EXPECT_EQ(view.refcount(view.variable("c")), 1);
  c.run({
      {"drop a", nothing},
      {"drop b", nothing},
      {"drop c", events().freed({1}).finalized({0})},  // @0 resurrects into revived
  });
  int revived = 0;
  view.for_each_in_list(RootList::revived, [&](HeapView::Ref o) {
    ++revived;
    EXPECT_EQ(view.refcount(o), 1);
  });
  EXPECT_EQ(revived, 1);
}

// Each trace starts clean: what one leaves (cycles, gc.garbage, revived, weak references
// with callbacks) is gone when its collector is destroyed, silently.
TEST(EmbeddedCPython, EachTraceStartsFromACleanInterpreter) {
  {
    Embedded c;
    c.run({
        {"alloc a 1 fin=legacy", nothing},
        {"link a 0 a", nothing},
        {"alloc b 1 fin=log", nothing},
        {"link b 0 b", nothing},
        {"weak w b cb", nothing},
        {"alloc r 0 fin=resurrect", nothing},
        {"drop a", nothing},
        {"drop b", nothing},
        {"drop r", events().finalized({2})},
        {"collect young",
         events().garbage({0}).finalized({1}).freed({1}).cleared({"w"}).callbacks({"w"}).collected(
             2)},
        {"alloc d 2 fin=alloc", nothing},
        {"link d 0 d", nothing},
    });
    EXPECT_EQ(cpython::live_objects(), 3u);  // @0 in gc.garbage, @2 in revived, @3
  }
  EXPECT_EQ(cpython::live_objects(), 0u);
  Embedded next;  // ids start again from 0, and nothing of the first trace reports
  next.run({
      {"alloc a 0 fin=log", nothing},
      {"drop a", events().freed({0}).finalized({0})},
      {"collect", events().collected(0)},
  });
}

// The trashcan bounds the C stack: a long chain dies in one op.
TEST(EmbeddedCPython, ALongChainDiesByRefcountWithoutDeepRecursion) {
  RecordingObserver observer;
  const std::unique_ptr<Collector> c = find_collector(kName)->make(observer);
  constexpr int kLength = 200000;
  c->alloc("head", 1, Finalizer::none, 0);
  c->copy("tail", "head");
  for (int i = 1; i < kLength; ++i) {
    c->alloc("next", 1, Finalizer::none, 0);
    c->link("tail", 0, "next");
    c->copy("tail", "next");
  }
  c->drop("next");
  c->drop("tail");
  observer.take();
  c->drop("head");
  EXPECT_EQ(observer.take().freed.size(), static_cast<std::size_t>(kLength));
}

// A wrong adapter, not a wrong CPython: a tp_traverse that hides slot 1 makes the collector
// believe the object it holds is referenced from outside, so a cycle through it leaks. The
// differential check must say so (and the right adapter must pass the same trace).
TEST(EmbeddedCPython, AWrongTraverseIsCaught) {
  const ParseResult parsed = parse_trace(
      "alloc a 2 fin=log\n"
      "alloc b 1\n"
      "link a 1 b\n"
      "link b 0 a\n"
      "drop a\n"
      "drop b\n"
      "collect\n",
      "inline");
  ASSERT_TRUE(parsed.parsed);
  const Trace& trace = parsed.parsed->trace;
  const LaneResult right = run_lane(trace, *find_collector(kName), Isolation{.fork = false});
  EXPECT_FALSE(right.divergence) << right.divergence->detail;
  const LaneResult wrong = run_lane(
      trace, *find_collector("cpython-3.11:pep442~traverse-skips-slot"), Isolation{.fork = false});
  ASSERT_TRUE(wrong.divergence);
  EXPECT_EQ(wrong.divergence->check, Check::exactness);
  EXPECT_EQ(wrong.divergence->op_index, 6u);
  ASSERT_TRUE(wrong.divergence->observed);
  EXPECT_TRUE(wrong.divergence->observed->freed.empty());  // the cycle leaked
}

// A forked child inherits the interpreter the parent prepared.
TEST(EmbeddedCPython, RunsInForkedChildren) {
  const ParseResult parsed =
      parse_trace("alloc a 1 fin=log\nlink a 0 a\ndrop a\ncollect\n", "inline");
  ASSERT_TRUE(parsed.parsed);
  const LaneResult r = run_lane(parsed.parsed->trace, *find_collector(kName),
                                Isolation{.fork = true}, LaneOptions{.record_events = true});
  EXPECT_FALSE(r.divergence);
  ASSERT_EQ(r.observed.size(), 4u);
  EXPECT_EQ(r.observed[3], Events(events().finalized({0}).freed({0}).collected(1)));
}

}  // namespace
}  // namespace gcfuzz

#endif  // GCFUZZ_HAVE_CPYTHON
