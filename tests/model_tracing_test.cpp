// The tracing policies of the model, rule by rule (SPEC.md 3.4 java, 3.5 boehm, and
// section 4 for their young collections): every op checked for its exact events.
#include <gtest/gtest.h>

#include "model/model.h"
#include "tests/model_steps.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

class EveryTracingPolicy : public ::testing::TestWithParam<Policy> {};

std::string policy_name(const ::testing::TestParamInfo<Policy>& info) {
  return std::string(name_of(info.param));
}

INSTANTIATE_TEST_SUITE_P(Policies, EveryTracingPolicy,
                         ::testing::Values(Policy::java, Policy::boehm), policy_name);

TEST_P(EveryTracingPolicy, NothingDiesBetweenCollections) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 1", nothing},
                   {"alloc b 0 fin=log", nothing},
                   {"link a 0 b", nothing},
                   {"drop b", nothing},
                   {"drop a", nothing},
                   {"expect alive @0 @1", nothing},
                   // b is finalizable and kept; a only points to it, so a is freed now.
                   {"collect", events().freed({0}).finalized({1}).collected(1)},
               });
  EXPECT_EQ(m.check(parse_op("expect alive @1")), std::nullopt);
  EXPECT_EQ(m.check(parse_op("expect freed @0")), std::nullopt);
}

TEST_P(EveryTracingPolicy, FinalizerReachableObjectsAreKeptForOneMoreCollection) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 1 fin=log", nothing},
                   {"alloc b 0", nothing},
                   {"link a 0 b", nothing},
                   {"drop b", nothing},
                   {"drop a", nothing},
                   // a is finalizable: it and what it reaches survive, then a is finalized.
                   {"collect", events().finalized({0}).collected(0)},
                   // Finalized once: now both are freed, without a second finalization.
                   {"collect", events().freed({0, 1}).collected(2)},
                   {"collect", events().collected(0)},
               });
}

TEST_P(EveryTracingPolicy, WeakReferencesAreClearedBeforeFinalizationAndResurrectionKeepsThem) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 0 fin=resurrect", nothing},
                   {"weak w a cb", nothing},
                   {"weak plain a", nothing},
                   {"drop a", nothing},
                   {"collect",
                    events().cleared({"plain", "w"}).callbacks({"w"}).finalized({0}).collected(0)},
                   // Resurrected into `revived`, but its weak references are gone.
                   {"deref v w", nothing},
                   {"expect alive @0", nothing},
                   {"clear revived", nothing},
                   {"collect", events().freed({0}).collected(1)},
               });
  EXPECT_EQ(m.variable("v"), std::nullopt);
}

TEST_P(EveryTracingPolicy, ALegacyFinalizerActsAsALoggingOne) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 0 fin=legacy", nothing},
                   {"drop a", nothing},
                   {"collect", events().finalized({0}).collected(0)},
                   {"collect", events().freed({0}).collected(1)},
               });
  EXPECT_TRUE(m.garbage().empty());
}

TEST_P(EveryTracingPolicy, AnAllocatingFinalizerStoresItsObjectAndDropsTheOldSlot) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 1 fin=alloc", nothing},
                   {"alloc x 0", nothing},
                   {"link a 0 x", nothing},
                   {"drop x", nothing},
                   {"drop a", nothing},
                   // @2 is allocated by a's finalizer and replaces x in slot 0.
                   {"collect", events().finalized({0}).collected(0)},
               });
  EXPECT_EQ(m.slots(id(0)), (std::vector<std::optional<ObjectId>>{id(2)}));
  EXPECT_EQ(m.refcount(id(1)), 0);
  EXPECT_TRUE(m.is_young(id(2)));
  run_steps(m, {{"collect", events().freed({0, 1, 2}).collected(3)}});
}

TEST_P(EveryTracingPolicy, ReachableObjectsAreNeverTouched) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 1 fin=log", nothing},
                   {"link a 0 a", nothing},
                   {"weak w a cb", nothing},
                   {"collect", events().collected(0)},
                   {"collect young", events().collected(0)},
               });
  EXPECT_EQ(m.times_finalized(id(0)), 0);
}

TEST_P(EveryTracingPolicy, YoungCollectionTreatsOldReferencesAsRoots) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc o 1", nothing},
                   {"collect", events().collected(0)},  // @0 is old now
                   {"alloc y 0", nothing},
                   {"link o 0 y", nothing},
                   {"drop y", nothing},
                   {"alloc t 1", nothing},
                   {"link t 0 t", nothing},
                   {"drop t", nothing},
                   // @1 is held by an old object; @2 is young trash.
                   {"collect young", events().freed({2}).collected(1)},
                   {"drop o", nothing},
                   // @0 and @1 are old: a young collection leaves them.
                   {"collect young", events().collected(0)},
                   {"collect", events().freed({0, 1}).collected(2)},
               });
}

TEST_P(EveryTracingPolicy, FinalizedSurvivorsOfAYoungCollectionBecomeOld) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 0 fin=log", nothing},
                   {"drop a", nothing},
                   {"collect young", events().finalized({0}).collected(0)},
                   {"collect young", events().collected(0)},  // @0 is old
                   {"collect", events().freed({0}).collected(1)},
               });
}

// ---- java: unordered finalization ----

TEST(JavaPolicy, FinalizesAChainAllAtOnce) {
  Model m = model_for(Policy::java);
  run_steps(m, {
                   {"alloc f1 1 fin=log", nothing},
                   {"alloc f2 0 fin=log", nothing},
                   {"link f1 0 f2", nothing},
                   {"drop f2", nothing},
                   {"drop f1", nothing},
                   {"collect", events().finalized({0, 1}).collected(0)},
                   {"collect", events().freed({0, 1}).collected(2)},
               });
}

TEST(JavaPolicy, FinalizesCyclesThroughFinalizers) {
  Model m = model_for(Policy::java);
  run_steps(m, {
                   {"alloc f 1 fin=log", nothing},
                   {"link f 0 f", nothing},
                   {"alloc g 1 fin=log", nothing},
                   {"alloc h 1 fin=log", nothing},
                   {"link g 0 h", nothing},
                   {"link h 0 g", nothing},
                   {"drop f", nothing},
                   {"drop g", nothing},
                   {"drop h", nothing},
                   {"collect", events().finalized({0, 1, 2}).collected(0)},
                   {"collect", events().freed({0, 1, 2}).collected(3)},
               });
}

// ---- boehm: ordered finalization ----

TEST(BoehmPolicy, FinalizesOneLinkOfAChainPerCollection) {
  Model m = model_for(Policy::boehm);
  run_steps(m, {
                   {"alloc f1 1 fin=log", nothing},
                   {"alloc f2 1 fin=log", nothing},
                   {"alloc f3 0 fin=log", nothing},
                   {"link f1 0 f2", nothing},
                   {"link f2 0 f3", nothing},
                   {"drop f3", nothing},
                   {"drop f2", nothing},
                   {"drop f1", nothing},
                   // f2 and f3 are reached from f1's contents: only f1 is finalized.
                   {"collect", events().finalized({0}).collected(0)},
                   // f1 is done: freed (f2 does not reach it); f2 is next.
                   {"collect", events().freed({0}).finalized({1}).collected(1)},
                   {"collect", events().freed({1}).finalized({2}).collected(1)},
                   {"collect", events().freed({2}).collected(1)},
               });
}

TEST(BoehmPolicy, AFinalizationCycleIsNeverFinalizedOrFreed) {
  Model m = model_for(Policy::boehm);
  run_steps(m, {
                   {"alloc f1 1 fin=log", nothing},
                   {"alloc f2 1 fin=log", nothing},
                   {"link f1 0 f2", nothing},
                   {"link f2 0 f1", nothing},
                   {"drop f1", nothing},
                   {"drop f2", nothing},
                   {"collect", events().collected(0)},
                   {"collect", events().collected(0)},
               });
  EXPECT_FALSE(m.is_freed(id(0)));
  EXPECT_EQ(m.times_finalized(id(1)), 0);
}

TEST(BoehmPolicy, ASelfLoopIsAFinalizationCycleButItsWeakReferencesAreCleared) {
  Model m = model_for(Policy::boehm);
  run_steps(m, {
                   {"alloc f 1 fin=resurrect", nothing},
                   {"link f 0 f", nothing},
                   {"weak w f cb", nothing},
                   {"drop f", nothing},
                   // Disappearing links go before any finalization decision.
                   {"collect", events().cleared({"w"}).callbacks({"w"}).collected(0)},
                   {"collect", events().collected(0)},
               });
  EXPECT_FALSE(m.is_freed(id(0)));
  EXPECT_TRUE(m.revived().empty());
}

TEST(BoehmPolicy, ACycleThroughOneFinalizerKeepsItAndWhatItReaches) {
  Model m = model_for(Policy::boehm);
  run_steps(m, {
                   {"alloc a 1 fin=log", nothing},
                   {"alloc b 2", nothing},
                   {"alloc c 0", nothing},
                   {"link a 0 b", nothing},
                   {"link b 0 a", nothing},
                   {"link b 1 c", nothing},
                   {"drop a", nothing},
                   {"drop b", nothing},
                   {"drop c", nothing},
                   {"collect", events().collected(0)},
               });
  for (std::uint32_t i = 0; i < 3; ++i) EXPECT_FALSE(m.is_freed(id(i)));
}

TEST(BoehmPolicy, FinalizesEveryFinalizableObjectNothingFinalizableReaches) {
  Model m = model_for(Policy::boehm);
  run_steps(m, {
                   {"alloc p 2", nothing},  // not finalizable: does not order anything
                   {"alloc f1 0 fin=log", nothing},
                   {"alloc f2 0 fin=alloc", nothing},
                   {"link p 0 f1", nothing},
                   {"link p 1 f2", nothing},
                   {"drop f1", nothing},
                   {"drop f2", nothing},
                   {"drop p", nothing},
                   // p is not kept: freed at once; f1 and f2 are both finalized (f2 allocates
                   // @3, which it cannot store: a 0-slot object; it is trash until next time).
                   {"collect", events().freed({0}).finalized({1, 2}).collected(1)},
                   {"collect", events().freed({1, 2, 3}).collected(3)},
               });
}

TEST(TracingPolicies, ExpectationsNameThem) {
  Model java = model_for(Policy::java);
  for (std::string_view line : {"alloc a 0 fin=log", "drop a", "collect"})
    java.apply(parse_op(line));
  EXPECT_EQ(java.check(parse_op("expect finalized @0 when java")), std::nullopt);
  EXPECT_EQ(java.check(parse_op("expect collected 0")), std::nullopt);
  EXPECT_EQ(java.check(parse_op("expect freed @0")), "@0 is not freed");
}

}  // namespace
}  // namespace gcfuzz
