-- Q4: a cycle of finalizable objects: all finalized in one collection? Objects referenced
-- by a finalizable object kept until after finalization, freed in the next collection?
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")

H.run({
  {"finalizable_cycle", function()
    H.alloc("a", 1, "log"); H.alloc("b", 1, "log")
    H.link("a", 0, "b"); H.link("b", 0, "a")
    H.drop("a"); H.drop("b")
    H.collect(); H.collect()
  end},
  {"finalizable_self_loop", function()
    H.alloc("a", 1, "log"); H.link("a", 0, "a"); H.drop("a")
    H.collect(); H.collect()
  end},
  {"finalizable_chain", function()   -- a -> b -> c, all finalizable (Boehm: one per collect)
    H.alloc("a", 1, "log"); H.alloc("b", 1, "log"); H.alloc("c", 1, "log")
    H.link("a", 0, "b"); H.link("b", 0, "c")
    H.drop("a"); H.drop("b"); H.drop("c")
    H.collect(); H.collect()
  end},
  {"dependents_kept_one_collection", function()
    -- a (log) -> b (none) -> c (none); d (none) alone
    H.alloc("a", 1, "log"); H.alloc("b", 1, "none"); H.alloc("c", 0, "none")
    H.alloc("d", 0, "none")
    H.link("a", 0, "b"); H.link("b", 0, "c")
    H.weak("wb", "b"); H.weak("wc", "c"); H.weak("wd", "d")
    H.drop("a"); H.drop("b"); H.drop("c"); H.drop("d")
    H.collect(); H.collect()
  end},
  {"nonfinalizable_holder_of_finalizable", function()
    -- h (none) -> f (log): h is freed at once, f finalized now and freed next time
    H.alloc("h", 1, "none"); H.alloc("f", 0, "log")
    H.link("h", 0, "f"); H.drop("h"); H.drop("f")
    H.collect(); H.collect()
  end},
  {"dependent_shared_with_live_object", function()
    -- a (log) -> c; live x -> c: c is reachable, untouched
    H.alloc("a", 1, "log"); H.alloc("c", 0, "none"); H.alloc("x", 1, "none")
    H.link("a", 0, "c"); H.link("x", 0, "c"); H.weak("wc", "c")
    H.drop("a"); H.drop("c")
    H.collect(); H.collect()
  end},
})
