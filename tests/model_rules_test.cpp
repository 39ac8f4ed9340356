// The reference model, rule by rule (SPEC.md sections 1-4): small inline traces whose every
// op is checked for its exact events under pep442, pep442-whole and legacy; then the
// model's options, its expectation checks, and the text format and expectations of the
// whole corpus.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "harness/trace/event_format.h"
#include "harness/trace/text.h"
#include "model/model.h"
#include "tests/corpus_files.h"
#include "tests/model_steps.h"
#include "tests/printers.h"

namespace gcfuzz {

namespace {

namespace fs = std::filesystem;

constexpr Policy kRefcountPolicies[] = {Policy::pep442, Policy::pep442_whole, Policy::legacy};

// ---- SPEC 3.1 / 3.3, "Refcount death" ----

class EveryRefcountPolicy : public ::testing::TestWithParam<Policy> {};

std::string policy_name(const ::testing::TestParamInfo<Policy>& info) {
  std::string name(name_of(info.param));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Policies, EveryRefcountPolicy, ::testing::ValuesIn(kRefcountPolicies),
                         policy_name);

TEST_P(EveryRefcountPolicy, LastReferenceDroppedFreesAtOnceAndRunsTheFinalizer) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 0 fin=log", nothing},
                   {"copy b a", nothing},
                   {"drop a", nothing},
                   {"drop b", events().freed({0}).finalized({0})},
                   {"collect", events().collected(0)},
               });
}

TEST_P(EveryRefcountPolicy, ReleasingSlotsCascadesInTheSameOp) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 2 fin=log", nothing},
                   {"alloc b 1", nothing},
                   {"alloc c 0 fin=legacy", nothing},
                   {"link a 0 b", nothing},
                   {"link a 1 c", nothing},
                   {"link b 0 c", nothing},
                   {"weak wc c cb", nothing},
                   {"drop b", nothing},
                   {"drop c", nothing},
                   {"drop a",
                    events().freed({0, 1, 2}).finalized({0, 2}).cleared({"wc"}).callbacks({"wc"})},
               });
}

TEST_P(EveryRefcountPolicy, AStoreReferencesTheNewValueBeforeReleasingTheOld) {
  // `load a a 0` makes a refer to its own child: the child is referenced by the variable
  // before the parent is released, so only the parent dies.
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 1 fin=log", nothing},
                   {"alloc b 0 fin=log", nothing},
                   {"link a 0 b", nothing},
                   {"drop b", nothing},
                   {"load a a 0", events().freed({0}).finalized({0})},
                   {"copy a a", nothing},
                   {"alloc a 0", events().freed({1}).finalized({1})},
               });
  EXPECT_EQ(m.variable("a"), id(2));
}

TEST_P(EveryRefcountPolicy, AllocFinalizerWithoutSlotsDropsItsAllocationAtOnce) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 0 fin=alloc", nothing},
                   {"drop a", events().freed({0, 1}).finalized({0})},
               });
  EXPECT_EQ(m.object_count(), 2u);
}

TEST_P(EveryRefcountPolicy, AllocFinalizerReplacesSlotZeroAndItsAllocationDiesWithIt) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 2 fin=alloc", nothing},
                   {"alloc b 0 fin=log", nothing},
                   {"alloc c 0", nothing},
                   {"link a 0 b", nothing},
                   {"link a 1 c", nothing},
                   {"drop b", nothing},
                   {"drop c", nothing},
                   // a's finalizer stores @3 in slot 0, killing b; then a dies, and with it
                   // @3 and c.
                   {"drop a", events().freed({0, 1, 2, 3}).finalized({0, 1})},
               });
}

TEST_P(EveryRefcountPolicy, DropForgetsTheWeakVariableOfTheSameNameBeforeReleasing) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc x 0 fin=log", nothing},
                   {"weak x x cb", nothing},
                   {"drop x", events().freed({0}).finalized({0})},
                   {"alloc y 0 fin=log", nothing},
                   {"weak w y cb", nothing},
                   {"drop y", events().freed({1}).finalized({1}).cleared({"w"}).callbacks({"w"})},
               });
  EXPECT_FALSE(m.weak_referent("x"));
}

TEST(RefcountDeath, Pep442ResurrectionKeepsWeakReferencesAndFinalizesOnce) {
  for (Policy p : {Policy::pep442, Policy::pep442_whole}) {
    Model m = model_for(p);
    run_steps(m, {
                     {"alloc a 0 fin=resurrect", nothing},
                     {"weak w a cb", nothing},
                     {"drop a", events().finalized({0})},
                     {"deref d w", nothing},
                     {"drop d", nothing},
                     {"clear revived", events().freed({0}).cleared({"w"}).callbacks({"w"})},
                 });
    EXPECT_EQ(m.times_finalized(id(0)), 1);
  }
}

TEST(RefcountDeath, LegacyClearsWeakReferencesFirstAndFinalizesOnEveryDeath) {
  Model m = model_for(Policy::legacy);
  run_steps(m, {
                   {"alloc a 0 fin=resurrect", nothing},
                   {"weak w a cb", nothing},
                   {"drop a", events().finalized({0}).cleared({"w"}).callbacks({"w"})},
                   {"deref d w", nothing},
                   {"clear revived", events().finalized({0})},
                   {"clear revived", events().finalized({0})},
                   {"clear revived", events().finalized({0})},
               });
  EXPECT_EQ(m.times_finalized(id(0)), 4);
  EXPECT_FALSE(m.is_freed(id(0)));
  EXPECT_FALSE(m.variable("d"));
}

TEST(RefcountDeath, Pep442LegacyFinalizerRunsOnTheRefcountPathAfterClearingWeakReferences) {
  Model m = model_for(Policy::pep442);
  run_steps(m, {
                   {"alloc a 0 fin=legacy", nothing},
                   {"weak w a cb", nothing},
                   {"drop a", events().freed({0}).finalized({0}).cleared({"w"}).callbacks({"w"})},
               });
}

TEST(RefcountDeath, FinalizerRunInACollectionIsNotRepeatedOnTheRefcountPath) {
  // r, held only by the trash cycle x <-> y, resurrects in the collection, which frees x
  // and y and clears r's weak reference. Its later refcount death frees it without a
  // second run.
  Model m = model_for(Policy::pep442);
  run_steps(
      m, {
             {"alloc x 2", nothing},
             {"alloc y 1", nothing},
             {"alloc r 0 fin=resurrect", nothing},
             {"link x 0 y", nothing},
             {"link y 0 x", nothing},
             {"link x 1 r", nothing},
             {"weak w r cb", nothing},
             {"drop r", nothing},
             {"drop x", nothing},
             {"drop y", nothing},
             {"collect",
              events().freed({0, 1}).finalized({2}).cleared({"w"}).callbacks({"w"}).collected(2)},
             {"clear revived", events().freed({2})},
         });
  EXPECT_EQ(m.times_finalized(id(2)), 1);
}

// ---- SPEC 3.1 / 3.2, "Full collection" ----

TEST_P(EveryRefcountPolicy, CollectFreesTrashWithoutFinalizersAndClearsItsWeakReferences) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 1", nothing},
                   {"alloc b 1", nothing},
                   {"alloc kept 0", nothing},
                   {"link a 0 b", nothing},
                   {"link b 0 a", nothing},
                   {"weak wa a cb", nothing},
                   {"weak wb b", nothing},
                   {"drop a", nothing},
                   {"drop b", nothing},
                   {"collect",
                    events().freed({0, 1}).cleared({"wa", "wb"}).callbacks({"wa"}).collected(2)},
                   {"collect", events().collected(0)},
               });
  EXPECT_FALSE(m.is_freed(id(2)));
}

TEST(FullCollection, Pep442FinalizesTheCycleOnceAndFreesIt) {
  for (Policy p : {Policy::pep442, Policy::pep442_whole}) {
    Model m = model_for(p);
    run_steps(m, {
                     {"alloc a 1 fin=log", nothing},
                     {"alloc b 1 fin=log", nothing},
                     {"link a 0 b", nothing},
                     {"link b 0 a", nothing},
                     {"drop a", nothing},
                     {"drop b", nothing},
                     {"collect", events().freed({0, 1}).finalized({0, 1}).collected(2)},
                 });
  }
}

TEST(FullCollection, LegacySetsCyclesThroughFinalizersAsideInGarbage) {
  // The seed documents' leak: nothing finalized, nothing freed, both in garbage; weak
  // references into the set aside objects are not cleared.
  Model m = model_for(Policy::legacy);
  run_steps(m, {
                   {"alloc a 1 fin=log", nothing},
                   {"alloc b 1 fin=log", nothing},
                   {"link a 0 b", nothing},
                   {"link b 0 a", nothing},
                   {"weak wa a cb", nothing},
                   {"drop a", nothing},
                   {"drop b", nothing},
                   {"collect", events().garbage({0, 1}).collected(2)},
                   {"collect", events().collected(0)},
               });
  EXPECT_EQ(m.weak_referent("wa"), id(0));
  EXPECT_EQ(m.garbage(), (std::vector<ObjectId>{id(0), id(1)}));
}

TEST(FullCollection, WeakReferencesAreClearedBeforeFinalizersRun) {
  for (Policy p : {Policy::pep442, Policy::pep442_whole}) {
    Model m = model_for(p);
    run_steps(m,
              {
                  {"alloc r 1 fin=resurrect", nothing},
                  {"alloc o 1 fin=log", nothing},
                  {"link r 0 o", nothing},
                  {"link o 0 r", nothing},
                  {"weak wr r cb", nothing},
                  {"weak wo o", nothing},
                  {"drop r", nothing},
                  {"drop o", nothing},
                  {"collect",
                   events().finalized({0, 1}).cleared({"wo", "wr"}).callbacks({"wr"}).collected(0)},
                  {"deref back wr", nothing},
              });
    // Resurrected, yet without weak references.
    EXPECT_FALSE(m.is_freed(id(0)));
    EXPECT_FALSE(m.weak_referent("wr"));
    EXPECT_FALSE(m.variable("back"));
  }
}

TEST(FullCollection, Pep442FreesUnrelatedTrashButPep442WholeFreesNothing) {
  constexpr std::string_view setup[] = {"alloc x 1 fin=resurrect",
                                        "alloc y 1",
                                        "link x 0 y",
                                        "link y 0 x",
                                        "alloc p 1 fin=log",
                                        "alloc q 1 fin=log",
                                        "link p 0 q",
                                        "link q 0 p",
                                        "drop x",
                                        "drop y",
                                        "drop p",
                                        "drop q"};
  Model pep442 = model_for(Policy::pep442);
  Model whole = model_for(Policy::pep442_whole);
  for (std::string_view line : setup) {
    EXPECT_EQ(pep442.apply(parse_op(line)), Events{}) << line;
    EXPECT_EQ(whole.apply(parse_op(line)), Events{}) << line;
  }
  run_steps(pep442, {
                        {"collect", events().freed({2, 3}).finalized({0, 2, 3}).collected(2)},
                        {"clear revived", nothing},
                        {"collect", events().freed({0, 1}).collected(2)},
                    });
  run_steps(whole, {
                       {"collect", events().finalized({0, 2, 3}).collected(0)},
                       {"clear revived", nothing},
                       {"collect", events().freed({0, 1, 2, 3}).collected(4)},
                   });
}

TEST(FullCollection, ObjectsDyingByRefcountDuringACollectionAreNotCounted) {
  // a's finalizer replaces its self-reference: a dies by refcount once the collector lets go.
  for (Policy p : {Policy::pep442, Policy::pep442_whole}) {
    Model m = model_for(p);
    run_steps(m, {
                     {"alloc a 1 fin=alloc", nothing},
                     {"link a 0 a", nothing},
                     {"drop a", nothing},
                     {"collect", events().freed({0, 1}).finalized({0}).collected(0)},
                 });
  }
  Model legacy = model_for(Policy::legacy);
  run_steps(legacy, {
                        {"alloc a 1 fin=alloc", nothing},
                        {"link a 0 a", nothing},
                        {"drop a", nothing},
                        {"collect", events().garbage({0}).collected(1)},
                    });
}

TEST(FullCollection, AllocationOfAFreedCreatorIsFreedInTheSameCollection) {
  for (Policy p : {Policy::pep442, Policy::pep442_whole}) {
    Model m = model_for(p);
    run_steps(m, {
                     {"alloc p 2 fin=alloc", nothing},
                     {"alloc q 1", nothing},
                     {"link p 1 q", nothing},
                     {"link q 0 p", nothing},
                     {"drop p", nothing},
                     {"drop q", nothing},
                     {"collect", events().freed({0, 1, 2}).finalized({0}).collected(2)},
                 });
  }
}

// ---- SPEC 3.1 steps 2 and 6, 3.3: the legacy set L ----

TEST(LegacySet, Pep442SetsLegacyFinalizersAndWhatTheyReachAside) {
  // L = {l0, b}: b is not finalized, its weak reference is not cleared; only l0 (the
  // legacy finalizer) goes to garbage, but both count.
  for (Policy p : {Policy::pep442, Policy::pep442_whole}) {
    Model m = model_for(p);
    run_steps(m, {
                     {"alloc l0 2 fin=legacy", nothing},
                     {"alloc b 0 fin=log", nothing},
                     {"link l0 0 l0", nothing},
                     {"link l0 1 b", nothing},
                     {"weak wb b cb", nothing},
                     {"drop b", nothing},
                     {"drop l0", nothing},
                     {"collect", events().garbage({0}).collected(2)},
                     {"collect", events().collected(0)},
                     {"clear garbage", nothing},
                     {"collect", events().garbage({0}).collected(2)},
                 });
    EXPECT_EQ(m.times_finalized(id(1)), 0);
    EXPECT_EQ(m.weak_referent("wb"), id(1));
  }
}

TEST(LegacySet, ClearingGarbageFreesWhatOnlyGarbageHeldWithItsFinalizers) {
  for (Policy p : kRefcountPolicies) {
    Model m = model_for(p);
    const Events first_collect = p == Policy::legacy ? events().garbage({0, 1}).collected(2)
                                                     : events().garbage({0}).collected(2);
    run_steps(m, {
                     {"alloc l0 2 fin=legacy", nothing},
                     {"alloc b 0 fin=log", nothing},
                     {"link l0 0 l0", nothing},
                     {"link l0 1 b", nothing},
                     {"weak wl l0", nothing},
                     {"drop b", nothing},
                     {"drop l0", nothing},
                     {"collect", first_collect},
                     {"deref l0 wl", nothing},
                     {"unlink l0 0", nothing},
                     {"drop l0", nothing},
                     {"clear garbage", events().freed({0, 1}).finalized({0, 1}).cleared({"wl"})},
                 });
  }
}

TEST(LegacySet, AMemberHeldOnlyByFreedTrashDiesByRefcountAndLeavesTheSet) {
  // l (fin=legacy) is in L, but freeing p and q kills it: tp_del runs, it is freed, it is
  // not in garbage and not counted.
  for (Policy p : {Policy::pep442, Policy::pep442_whole}) {
    Model m = model_for(p);
    run_steps(m, {
                     {"alloc p 2 fin=log", nothing},
                     {"alloc q 1 fin=log", nothing},
                     {"alloc l 0 fin=legacy", nothing},
                     {"link p 0 q", nothing},
                     {"link q 0 p", nothing},
                     {"link p 1 l", nothing},
                     {"weak wl l cb", nothing},
                     {"drop l", nothing},
                     {"drop p", nothing},
                     {"drop q", nothing},
                     {"collect", events()
                                     .freed({0, 1, 2})
                                     .finalized({0, 1, 2})
                                     .cleared({"wl"})
                                     .callbacks({"wl"})
                                     .collected(2)},
                 });
    EXPECT_TRUE(m.garbage().empty());
  }
}

TEST(LegacySet, LegacyMemberThatDiesByRefcountLeavesTheSetEvenIfItResurrects) {
  Model m = model_for(Policy::legacy);
  run_steps(m, {
                   {"alloc x 2", nothing},
                   {"alloc y 1", nothing},
                   {"alloc r 0 fin=resurrect", nothing},
                   {"link x 0 y", nothing},
                   {"link y 0 x", nothing},
                   {"link x 1 r", nothing},
                   {"drop r", nothing},
                   {"drop x", nothing},
                   {"drop y", nothing},
                   {"collect", events().freed({0, 1}).finalized({2}).collected(2)},
               });
  EXPECT_TRUE(m.garbage().empty());
  EXPECT_EQ(m.revived(), std::vector<ObjectId>{id(2)});
}

TEST(LegacySet, TrashReferringIntoTheSetDoesNotJoinIt) {
  for (Policy p : {Policy::pep442, Policy::pep442_whole}) {
    Model m = model_for(p);
    run_steps(m, {
                     {"alloc p 2 fin=log", nothing},
                     {"alloc q 1", nothing},
                     {"alloc g 1 fin=legacy", nothing},
                     {"link p 0 q", nothing},
                     {"link q 0 p", nothing},
                     {"link p 1 g", nothing},
                     {"link g 0 g", nothing},
                     {"drop p", nothing},
                     {"drop q", nothing},
                     {"drop g", nothing},
                     {"collect", events().freed({0, 1}).finalized({0}).garbage({2}).collected(3)},
                 });
  }
}

// ---- SPEC section 1, "Numbering" ----

TEST(Numbering, FinalizerAllocationsAreNumberedByCreatorIdNotByRunOrder) {
  // In the young collection a (@2) runs first; its store releases old z (@0), whose
  // finalizer runs next. z's allocation still gets the lower number: @4 (freed at once),
  // a's @5 (kept: r resurrects a).
  for (Policy p : {Policy::pep442, Policy::pep442_whole}) {
    Model m = model_for(p);
    run_steps(m, {
                     {"alloc z 0 fin=alloc", nothing},
                     {"alloc holder 1", nothing},
                     {"link holder 0 z", nothing},
                     {"drop z", nothing},
                     {"collect", events().collected(0)},
                     {"alloc a 2 fin=alloc", nothing},
                     {"alloc r 1 fin=resurrect", nothing},
                     {"link a 1 r", nothing},
                     {"link r 0 a", nothing},
                     {"load z holder 0", nothing},
                     {"link a 0 z", nothing},
                     {"drop z", nothing},
                     {"unlink holder 0", nothing},
                     {"drop a", nothing},
                     {"drop r", nothing},
                     {"collect young", events().freed({0, 4}).finalized({0, 2, 3}).collected(0)},
                 });
    EXPECT_EQ(m.slots(id(2)), (std::vector<std::optional<ObjectId>>{id(5), id(3)}));
    EXPECT_TRUE(m.is_freed(id(4)));
  }
}

TEST(Numbering, SeveralCreatorsInOneCollectionAreNumberedInCreatorOrder) {
  Model m = model_for(Policy::pep442);
  run_steps(m,
            {
                {"alloc b 2 fin=alloc", nothing},
                {"alloc c 1", nothing},
                {"link b 1 c", nothing},
                {"link c 0 b", nothing},
                {"alloc a 2 fin=alloc", nothing},
                {"alloc r 1 fin=resurrect", nothing},
                {"alloc z 0 fin=alloc", nothing},
                {"link a 1 r", nothing},
                {"link r 0 a", nothing},
                {"link a 0 z", nothing},
                {"drop b", nothing},
                {"drop c", nothing},
                {"drop a", nothing},
                {"drop r", nothing},
                {"drop z", nothing},
                {"collect", events().freed({0, 1, 4, 5, 7}).finalized({0, 2, 3, 4}).collected(2)},
            });
  EXPECT_EQ(m.object_count(), 8u);
  EXPECT_EQ(m.slots(id(2))[0], id(6));
}

// ---- SPEC section 4: young collections ----

TEST_P(EveryRefcountPolicy, YoungCollectionTreatsOldToYoungReferencesAsRoots) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc o 1", nothing},
                   {"collect", events().collected(0)},
                   {"alloc y1 1", nothing},
                   {"alloc y2 1", nothing},
                   {"link y1 0 y2", nothing},
                   {"link y2 0 y1", nothing},
                   {"link o 0 y1", nothing},
                   {"drop y1", nothing},
                   {"drop y2", nothing},
                   {"collect young", events().collected(0)},
               });
  // Survivors of a young collection become old.
  EXPECT_FALSE(m.is_young(id(1)));
  EXPECT_FALSE(m.is_young(id(2)));
  run_steps(m, {
                   {"unlink o 0", nothing},
                   {"collect young", events().collected(0)},
                   {"collect", events().freed({1, 2}).collected(2)},
               });
}

TEST_P(EveryRefcountPolicy, YoungCollectionLeavesOldTrashAlone) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc o1 1", nothing},
                   {"alloc o2 1", nothing},
                   {"link o1 0 o2", nothing},
                   {"link o2 0 o1", nothing},
                   {"collect", events().collected(0)},
                   {"drop o1", nothing},
                   {"drop o2", nothing},
                   {"alloc y 1", nothing},
                   {"link y 0 y", nothing},
                   {"drop y", nothing},
                   {"collect young", events().freed({2}).collected(1)},
                   {"collect young", events().collected(0)},
                   {"collect", events().freed({0, 1}).collected(2)},
               });
}

TEST(YoungCollection, FinalizerAllocationsStayYoungAndResurrectedSurvivorsBecomeOld) {
  Model m = model_for(Policy::pep442);
  run_steps(m, {
                   {"alloc a 2 fin=alloc", nothing},
                   {"alloc r 1 fin=resurrect", nothing},
                   {"link a 1 r", nothing},
                   {"link r 0 a", nothing},
                   {"drop a", nothing},
                   {"drop r", nothing},
                   {"collect young", events().finalized({0, 1}).collected(0)},
               });
  EXPECT_FALSE(m.is_young(id(0)));
  EXPECT_FALSE(m.is_young(id(1)));
  EXPECT_TRUE(m.is_young(id(2)));  // a's allocation
}

TEST_P(EveryRefcountPolicy, ObjectResurrectedOnTheRefcountPathIsYoungAgain) {
  Model m = model_for(GetParam());
  const Events death = GetParam() == Policy::legacy ? events().finalized({0}).cleared({"w"})
                                                    : events().finalized({0});
  run_steps(m, {
                   {"alloc a 1 fin=resurrect", nothing},
                   {"weak w a", nothing},
                   {"collect", events().collected(0)},
               });
  EXPECT_FALSE(m.is_young(id(0)));
  run_steps(m, {{"drop a", death}});
  EXPECT_TRUE(m.is_young(id(0)));
}

TEST(YoungCollection, Pep442ResurrectedObjectIsFoundByAYoungCollection) {
  Model m = model_for(Policy::pep442);
  run_steps(m, {
                   {"alloc a 1 fin=resurrect", nothing},
                   {"weak w a", nothing},
                   {"collect", events().collected(0)},
                   {"drop a", events().finalized({0})},
                   {"deref a w", nothing},
                   {"link a 0 a", nothing},
                   {"drop a", nothing},
                   {"clear revived", nothing},
                   {"collect young", events().freed({0}).cleared({"w"}).collected(1)},
               });
}

// ---- ModelOptions: what a collector cannot do ----

TEST_P(EveryRefcountPolicy, WithoutCycleCollectionCollectFreesNothing) {
  Model m(ModelOptions{.policy = GetParam(), .collects_cycles = false});
  run_steps(m, {
                   {"alloc a 1 fin=log", nothing},
                   {"link a 0 a", nothing},
                   {"drop a", nothing},
                   {"collect", events().collected(0)},
                   {"collect young", events().collected(0)},
                   {"alloc b 0 fin=log", nothing},
                   {"drop b", events().freed({1}).finalized({1})},
               });
  EXPECT_FALSE(m.is_freed(id(0)));
  EXPECT_TRUE(m.garbage().empty());
}

TEST_P(EveryRefcountPolicy, WithoutGenerationsCollectYoungIsAFullCollection) {
  Model m(ModelOptions{.policy = GetParam(), .generational = false});
  run_steps(m, {
                   {"alloc o 1", nothing},
                   {"link o 0 o", nothing},
                   {"collect young", events().collected(0)},
                   {"drop o", nothing},
                   {"collect young", events().freed({0}).collected(1)},
               });
}

// ---- SPEC section 1.3: no-op rules ----

TEST_P(EveryRefcountPolicy, OpsOnUnboundOrNullSourcesAndMissingSlotsAreNoOps) {
  Model m = model_for(GetParam());
  run_steps(m, {
                   {"alloc a 2 fin=log", nothing},
                   {"alloc b 1 fin=log", nothing},
                   {"link a 0 nobody", nothing},
                   {"link nobody 0 a", nothing},
                   {"unlink nobody 0", nothing},
                   {"load a nobody 0", nothing},
                   {"copy a nobody", nothing},
                   {"weak wn nobody cb", nothing},
                   {"deref b no_such_weak", nothing},
                   {"drop nobody", nothing},
                   {"link a 2 b", nothing},
                   {"link b 1 a", nothing},
                   {"unlink b 1", nothing},
                   {"load a b 1", nothing},
                   {"load a b 15", nothing},
               });
  EXPECT_EQ(m.variable("a"), id(0));
  EXPECT_EQ(m.variable("b"), id(1));
  EXPECT_EQ(m.refcount(id(0)), 1);
  EXPECT_EQ(m.refcount(id(1)), 1);
  EXPECT_FALSE(m.weak_referent("wn"));
  // `load` of an empty slot and `deref` of a cleared weak variable set the variable to null.
  run_steps(m, {
                   {"load b a 1", events().freed({1}).finalized({1})},
                   {"alloc c 0", nothing},
                   {"weak wc c", nothing},
                   {"drop c", events().freed({2}).cleared({"wc"})},
                   {"copy keep a", nothing},
                   {"deref keep wc", nothing},
               });
  EXPECT_FALSE(m.variable("b"));
  EXPECT_FALSE(m.variable("keep"));
  EXPECT_EQ(m.refcount(id(0)), 1);
}

// ---- Model::check ----

TEST(ModelCheck, ExpectationsHoldOrSayWhyNot) {
  Model m = model_for(Policy::legacy);
  for (std::string_view line :
       {"alloc a 1 fin=log", "link a 0 a", "alloc b 0 fin=log", "copy c b", "drop a", "collect"}) {
    m.apply(parse_op(line));
  }
  EXPECT_EQ(m.check(parse_op("expect collected 1")), std::nullopt);
  EXPECT_EQ(m.check(parse_op("expect garbage @0")), std::nullopt);
  EXPECT_EQ(m.check(parse_op("expect alive @0 @1")), std::nullopt);
  EXPECT_EQ(m.check(parse_op("expect refcount b 2")), std::nullopt);

  EXPECT_EQ(m.check(parse_op("expect collected 2")), "the last collect returned 1, not 2");
  EXPECT_EQ(m.check(parse_op("expect freed @0")), "@0 is not freed");
  EXPECT_EQ(m.check(parse_op("expect finalized @0")), "@0 is not finalized");
  EXPECT_EQ(m.check(parse_op("expect garbage @1")), "@1 is not in garbage");
  EXPECT_EQ(m.check(parse_op("expect alive @7")), "there is no object @7 yet");
  EXPECT_EQ(m.check(parse_op("expect refcount b 1")), "b (@1) has 2 references, not 1");
  EXPECT_EQ(m.check(parse_op("expect refcount a 1")), "a is unbound");

  m.apply(parse_op("drop b"));
  m.apply(parse_op("drop c"));
  EXPECT_EQ(m.check(parse_op("expect freed @1")), std::nullopt);
  EXPECT_EQ(m.check(parse_op("expect finalized @1")), std::nullopt);
}

TEST(ModelCheck, NoCollectionYetIsAFailedExpectation) {
  Model m = model_for(Policy::pep442);
  EXPECT_EQ(m.check(parse_op("expect collected 0")), "no collection has run");
}

// ---- The corpus: the text format round-trips, and its expectations hold ----

TEST(Corpus, EveryTraceParsesAndPrintsBackToItself) {
  const std::vector<fs::path> files = corpus_files();
  ASSERT_FALSE(files.empty());
  for (const fs::path& file : files) {
    const ParseResult parsed = load_trace(file);
    ASSERT_TRUE(parsed.parsed) << parsed.error->to_string();
    const Trace& trace = parsed.parsed->trace;
    EXPECT_FALSE(trace.header.empty()) << file << " has no header comment";
    const std::string text = print_trace(trace);
    const ParseResult again = parse_trace(text, file.string() + " (printed)");
    ASSERT_TRUE(again.parsed) << again.error->to_string();
    EXPECT_EQ(again.parsed->trace, trace) << file;
    EXPECT_EQ(print_trace(again.parsed->trace), text) << file;
  }
}

bool applies_to(const Op& op, Policy policy) {
  return std::visit(
      [&](const auto& o) {
        if constexpr (ExpectOp<std::decay_t<decltype(o)>>) {
          return o.when.applies_to(policy);
        } else {
          return false;
        }
      },
      op);
}

TEST(Corpus, EveryExpectationHoldsUnderTheModelForThePoliciesItNames) {
  int checked = 0;
  for (const fs::path& file : corpus_files()) {
    const ParseResult parsed = load_trace(file);
    ASSERT_TRUE(parsed.parsed) << parsed.error->to_string();
    const Trace& trace = parsed.parsed->trace;
    for (Policy policy : kRefcountPolicies) {
      Model m = model_for(policy);
      for (std::size_t i = 0; i < trace.ops.size(); ++i) {
        m.apply(trace.ops[i]);
        if (!applies_to(trace.ops[i], policy)) continue;
        ++checked;
        if (const std::optional<std::string> why = m.check(trace.ops[i])) {
          ADD_FAILURE() << fs::relative(file, GCFUZZ_SOURCE_DIR).string() << ":"
                        << parsed.parsed->line_of_op[i] << ": under " << name_of(policy) << ", `"
                        << print_op(trace.ops[i]) << "` does not hold: " << *why;
        }
      }
    }
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace gcfuzz
