-- Q6 cross-check: the corpus traces of SPEC section 4 (corpus/tracing/young_*.gct and
-- corpus/spec/young_collection_skips_old_cycle.gct), performed on Lua's generational
-- collector. `collect young` = collectgarbage("step", 0); `collect` = one full collection.
-- Each comment gives the trace's java expectation and the prediction of the proposed `lua`
-- rule (FINDINGS.md: young = survived fewer than two minor collections).
-- Meaningful in generational mode only.
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")
local young, collect = H.step0, H.collect1

H.run({
  {"young_finalized_survivors_become_old", function()
    H.alloc("x", 2); H.alloc("y", 1); H.alloc("f", 1, "log"); H.alloc("k", 0)
    H.link("x", 0, "y"); H.link("y", 0, "x"); H.link("x", 1, "f"); H.link("f", 0, "k")
    H.drop("k"); H.drop("f"); H.drop("x"); H.drop("y")
    young()    -- java: freed @0 @1, finalized @2.  lua rule: same
    young()    -- java: nothing.                    lua rule: freed @2 @3 (age 1, young)
    collect()  -- java: freed @2 @3.                lua rule: nothing
  end},
  {"young_finalizer_allocations_stay_young", function()
    H.alloc("x", 3); H.alloc("y", 1); H.alloc("a0", 0, "alloc"); H.alloc("a1", 1, "alloc")
    H.link("x", 0, "y"); H.link("y", 0, "x"); H.link("x", 1, "a0"); H.link("x", 2, "a1")
    H.drop("a0"); H.drop("a1"); H.drop("x"); H.drop("y")
    young()    -- java: freed @0 @1, finalized @2 @3, created 2.  lua rule: same
    young()    -- java: freed @4 only.  lua rule: freed @2 @3 @4 @5 (all young trash)
    collect()  -- java: freed @2 @3 @5. lua rule: nothing
  end},
  {"young_old_to_young_references_are_roots", function()
    H.alloc("o", 1); H.alloc("z", 2); H.link("z", 0, "z")
    collect()
    H.alloc("w", 0, "log"); H.link("z", 1, "w"); H.drop("z"); H.drop("w")
    H.alloc("f", 1, "log"); H.alloc("c", 0); H.link("f", 0, "c"); H.link("o", 0, "f")
    H.drop("f"); H.drop("c")
    young()    -- java and lua rule: nothing (w held by old z, f by o)
    H.unlink("o", 0)
    young()    -- java: nothing (nothing young).  lua rule: finalized @3 (f, age 1), keeps @3 @4
    collect()  -- java: freed @1, finalized @2 @3.  lua rule: freed @1 @3 @4, finalized @2
    collect()  -- java: freed @2 @3 @4.             lua rule: freed @2
  end},
  {"young_collection_skips_old_cycle", function()
    H.alloc("o1", 1, "log"); H.alloc("o2", 1); H.link("o1", 0, "o2"); H.link("o2", 0, "o1")
    collect()
    H.drop("o1"); H.drop("o2")
    H.alloc("y1", 1, "log"); H.alloc("y2", 1); H.link("y1", 0, "y2"); H.link("y2", 0, "y1")
    H.drop("y1"); H.drop("y2")
    young()    -- java and lua rule: finalized @2, nothing freed
    collect()  -- java and lua rule: freed @2 @3, finalized @0
  end},
})
