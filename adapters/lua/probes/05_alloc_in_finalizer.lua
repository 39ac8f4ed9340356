-- Q5: an object allocated by a finalizer during a collection: when can it be freed?
-- fin=alloc: __gc allocates a new 0-slot object and stores it in slot 0 (key 1) if any.
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")

H.run({
  {"alloc_into_slot", function()
    H.alloc("a", 1, "alloc"); H.drop("a")
    H.collect(); H.collect(); H.collect()
  end},
  {"alloc_unreferenced", function()   -- 0 slots: nothing holds the new object
    H.alloc("a", 0, "alloc"); H.drop("a")
    H.collect(); H.collect()
  end},
  {"alloc_replaces_slot_target", function()
    -- a.slot0 = c; a's finalizer overwrites slot 0: c was kept for the finalizer
    H.alloc("a", 1, "alloc"); H.alloc("c", 0, "none"); H.link("a", 0, "c")
    H.weak("wc", "c")
    H.drop("c"); H.drop("a")
    H.collect(); H.collect()
  end},
  {"alloc_then_minor", function()
    -- generational: step0 is a minor collection. @2 (from z, unreferenced) and @3 (from a,
    -- stored in a's slot 0) are young; a and z are old after the full collection.
    -- incremental: step0 is one incremental step (see 06)
    H.alloc("a", 1, "alloc"); H.alloc("z", 0, "alloc"); H.drop("a"); H.drop("z")
    H.collect1()
    H.step0(); H.step0(); H.collect1()
  end},
})
