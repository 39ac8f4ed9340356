-- Q3: when is a finalized object freed (same collection or the next)? A resurrected one,
-- once released: freed when, finalized again? Re-registration (setmetatable from __gc).
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")

H.run({
  {"plain_object_freed_at_once", function()
    H.alloc("a", 0, "none"); H.drop("a"); H.collect()
  end},
  {"finalized_object_freed_next_collection", function()
    H.alloc("a", 0, "log"); H.drop("a")
    H.collect(); H.collect(); H.collect()
  end},
  {"resurrected_then_released", function()
    H.alloc("r", 0, "resurrect"); H.drop("r")
    H.collect()
    H.collect()
    print("   clear revived")
    H.clear_revived()
    H.collect()
    H.collect()
  end},
  {"reregister_every_time", function()
    -- __gc calls setmetatable(self, mt) again: finalized once per collection, never freed
    H.alloc("a", 0, "reregister"); H.drop("a")
    H.collect1(); H.collect1(); H.collect1(); H.collect1()
  end},
  {"reregister_and_resurrect", function()
    H.alloc("r", 0, "reregister_resurrect"); H.drop("r")
    H.collect1()
    print("   revived holds it; collect:")
    H.collect1()
    print("   clear revived")
    H.clear_revived()
    H.collect1()
    print("   clear revived")
    H.clear_revived()
    H.collect1()
  end},
  {"remark_from_outside_after_finalization", function()
    -- resurrect, then the program (not __gc) calls setmetatable again on the revived object
    H.alloc("r", 0, "resurrect"); H.drop("r")
    H.collect1()
    V.r = revived[1]; H.clear_revived()
    H.mark("r", "log")
    print("   program re-marked the revived object with setmetatable; drop it")
    H.drop("r")
    H.collect1(); H.collect1()
  end},
})
