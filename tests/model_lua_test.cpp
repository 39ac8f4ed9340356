// The `lua` policy of the model, rule by rule (SPEC.md 3.6): every op checked for its exact
// events. Each scenario is one Lua 5.4.4 measured (adapters/lua/probes/FINDINGS.md, named
// by probe and scenario), so these events are Lua's own.
#include <gtest/gtest.h>

#include "model/model.h"
#include "tests/model_steps.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

Model lua_model(bool generational = true) {
  return Model(ModelOptions{.policy = Policy::lua, .generational = generational});
}

// 04 dependents_kept_one_collection: the full collection is java's steps 1-5.
TEST(LuaPolicy, FinalizableTrashAndWhatItReachesSurviveOneCollection) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc a 1 fin=log", nothing},
                   {"alloc b 1", nothing},
                   {"alloc c 0", nothing},
                   {"alloc d 0", nothing},
                   {"link a 0 b", nothing},
                   {"link b 0 c", nothing},
                   {"weak wb b", nothing},
                   {"weak wc c", nothing},
                   {"weak wd d", nothing},
                   {"drop b", nothing},
                   {"drop c", nothing},
                   {"drop d", nothing},
                   {"drop a", nothing},
                   {"collect",
                    events().finalized({0}).cleared({"wb", "wc", "wd"}).freed({3}).collected(1)},
                   {"collect", events().freed({0, 1, 2}).collected(3)},
                   {"collect", events().collected(0)},
               });
}

// SPEC 3.6 "Weak callbacks": `cb` is accepted and never runs.
TEST(LuaPolicy, AWeakCallbackNeverRuns) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc a 0", nothing},
                   {"weak w a cb", nothing},
                   {"drop a", nothing},
                   {"collect", events().cleared({"w"}).freed({0}).collected(1)},
               });
  EXPECT_TRUE(m.rules_fired().contains(Rule::lua_callback_ignored));
  EXPECT_FALSE(m.rules_fired().contains(Rule::weak_callback));
}

// 01 resurrected_object and 03 resurrected_then_released: the weak variable stays cleared;
// the object is freed, unfinalized again, by the first collection after it is released.
TEST(LuaPolicy, AResurrectedObjectIsFreedOnceReleased) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc r 0 fin=resurrect", nothing},
                   {"weak wr r", nothing},
                   {"drop r", nothing},
                   {"collect", events().finalized({0}).cleared({"wr"}).collected(0)},
                   {"collect", events().collected(0)},
                   {"clear revived", nothing},
                   {"collect", events().freed({0}).collected(1)},
               });
}

// 05 alloc_into_slot: the finalizer's allocation survives the collection that made it.
TEST(LuaPolicy, AFinalizersAllocationSurvivesItsCollection) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc a 1 fin=alloc", nothing},
                   {"drop a", nothing},
                   {"collect", events().finalized({0}).collected(0)},
                   {"collect", events().freed({0, 1}).collected(2)},
               });
}

// 06 new_trash: a minor collection frees young trash and clears weak values into it.
TEST(LuaPolicy, AYoungCollectionFreesNewTrash) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc a 0", nothing},
                   {"weak wa a", nothing},
                   {"drop a", nothing},
                   {"collect young", events().cleared({"wa"}).freed({0}).collected(1)},
               });
}

// 06 survived_one_minor: one minor collection leaves its survivors young.
TEST(LuaPolicy, ASurvivorOfOneYoungCollectionIsStillYoung) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc a 0", nothing},
                   {"weak wa a", nothing},
                   {"collect young", events().collected(0)},
               });
  EXPECT_TRUE(m.rules_fired().contains(Rule::lua_survivor_stays_young));
  EXPECT_TRUE(m.is_young(id(0)));
  run_steps(m, {
                   {"drop a", nothing},
                   {"collect young", events().cleared({"wa"}).freed({0}).collected(1)},
               });
}

// 06 survived_two_minors: two minor collections make an object old.
TEST(LuaPolicy, ASurvivorOfTwoYoungCollectionsIsOld) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc a 0", nothing},
                   {"weak wa a", nothing},
                   {"collect young", events().collected(0)},
                   {"collect young", events().collected(0)},
                   {"drop a", nothing},
                   {"collect young", events().collected(0)},
                   {"collect young", events().collected(0)},
                   {"collect young", events().collected(0)},
                   {"collect", events().cleared({"wa"}).freed({0}).collected(1)},
               });
}

// 06 survived_full_collect: a full collection makes every survivor old at once.
TEST(LuaPolicy, ASurvivorOfAFullCollectionIsOld) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc a 0", nothing},
                   {"collect", events().collected(0)},
                   {"drop a", nothing},
                   {"collect young", events().collected(0)},
                   {"collect", events().freed({0}).collected(1)},
               });
  EXPECT_FALSE(m.rules_fired().contains(Rule::lua_survivor_stays_young));
}

// 06 old_trash_keeps_young: an old object's slot is a root of a minor collection, even when
// the old object is trash.
TEST(LuaPolicy, OldTrashKeepsWhatItHoldsThroughYoungCollections) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc o 1", nothing},
                   {"collect young", events().collected(0)},
                   {"collect young", events().collected(0)},
                   {"alloc y 0", nothing},
                   {"link o 0 y", nothing},
                   {"drop y", nothing},
                   {"drop o", nothing},
                   {"collect young", events().collected(0)},
                   {"collect young", events().collected(0)},
                   {"collect young", events().collected(0)},
                   {"collect", events().freed({0, 1}).collected(2)},
               });
}

// 06 minor_finalizes_new: a minor collection finalizes young trash and keeps F plus what F
// reaches; still young, they are freed by the next minor collection.
TEST(LuaPolicy, AYoungCollectionFinalizesAndItsKeptObjectsStayYoung) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc f 0 fin=log", nothing},
                   {"alloc c 0", nothing},
                   {"alloc g 1 fin=log", nothing},
                   {"link g 0 c", nothing},
                   {"weak wc c", nothing},
                   {"weak wf f", nothing},
                   {"drop f", nothing},
                   {"drop c", nothing},
                   {"drop g", nothing},
                   {"collect young", events().finalized({0, 2}).cleared({"wc", "wf"}).collected(0)},
                   {"collect young", events().freed({0, 1, 2}).collected(3)},
               });
}

// 06 minor_finalizes_survival: finalized at its second minor collection, the object is old
// afterwards and only a full collection frees it.
TEST(LuaPolicy, AnObjectFinalizedAtItsSecondYoungCollectionBecomesOld) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc f 0 fin=log", nothing},
                   {"collect young", events().collected(0)},
                   {"drop f", nothing},
                   {"collect young", events().finalized({0}).collected(0)},
                   {"collect young", events().collected(0)},
                   {"collect young", events().collected(0)},
                   {"collect", events().freed({0}).collected(1)},
               });
}

// 06 minor_skips_old_finalizable: old finalizable trash waits for a full collection.
TEST(LuaPolicy, AYoungCollectionDoesNotFinalizeOldTrash) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc f 0 fin=log", nothing},
                   {"collect", events().collected(0)},
                   {"drop f", nothing},
                   {"collect young", events().collected(0)},
                   {"collect young", events().collected(0)},
                   {"collect", events().finalized({0}).collected(0)},
                   {"collect", events().freed({0}).collected(1)},
               });
}

// 06 alloc_finalizer_in_minor: the allocation is young (age 0), its creator one step older.
TEST(LuaPolicy, AFinalizersAllocationInAYoungCollectionIsYoung) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc a 1 fin=alloc", nothing},
                   {"drop a", nothing},
                   {"collect young", events().finalized({0}).collected(0)},
                   {"collect young", events().freed({0, 1}).collected(2)},
               });
}

// `lua-5.4:lua` (incremental mode) has no young collection: `collect young` is full.
TEST(LuaPolicy, WithoutGenerationsAYoungCollectionIsFull) {
  Model m = lua_model(/*generational=*/false);
  run_steps(m, {
                   {"alloc a 0", nothing},
                   {"collect young", events().collected(0)},
                   {"collect young", events().collected(0)},
                   {"drop a", nothing},
                   {"collect young", events().freed({0}).collected(1)},
               });
  EXPECT_FALSE(m.rules_fired().contains(Rule::young_collection));
}

// `legacy` acts as `log` and `garbage` stays empty, as under java.
TEST(LuaPolicy, ALegacyFinalizerActsAsLog) {
  Model m = lua_model();
  run_steps(m, {
                   {"alloc a 1 fin=legacy", nothing},
                   {"link a 0 a", nothing},
                   {"drop a", nothing},
                   {"collect", events().finalized({0}).collected(0)},
                   {"collect", events().freed({0}).collected(1)},
               });
  EXPECT_TRUE(m.garbage().empty());
}

}  // namespace
}  // namespace gcfuzz
