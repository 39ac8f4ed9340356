-- Q6: generational mode. Is collectgarbage("collect") a full collection? What does
-- collectgarbage("step", 0) do (a minor collection?), what does a minor collection free,
-- does it run finalizers? (Run in incremental mode too: there "step", 0 is one
-- incremental step, reported for comparison.)
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")

H.run({
  {"new_trash", function()                 -- allocated after the last collection
    H.alloc("a", 0, "none"); H.weak("wa", "a"); H.drop("a")
    H.step0()
  end},
  {"survived_one_minor", function()        -- survives 1 minor, then trash
    H.alloc("a", 0, "none"); H.weak("wa", "a")
    H.step0()
    H.drop("a")
    H.step0(); H.step0(); H.collect1()
  end},
  {"survived_two_minors", function()       -- survives 2 minors, then trash
    H.alloc("a", 0, "none"); H.weak("wa", "a")
    H.step0(); H.step0()
    H.drop("a")
    H.step0(); H.step0(); H.step0(); H.collect1()
  end},
  {"survived_full_collect", function()     -- survives a full collection, then trash
    H.alloc("a", 0, "none"); H.weak("wa", "a")
    H.collect1()
    H.drop("a")
    H.step0(); H.step0(); H.step0(); H.collect1()
  end},
  {"collect_frees_old", function()         -- old (2 minors) trash: freed by collect
    H.alloc("a", 0, "none"); H.step0(); H.step0(); H.drop("a")
    H.collect1()
  end},
  {"old_trash_keeps_young", function()     -- old o (trash) -> young y (trash)
    H.alloc("o", 1, "none"); H.collect1()
    H.alloc("y", 0, "none"); H.link("o", 0, "y"); H.weak("wy", "y")
    H.drop("o"); H.drop("y")
    H.step0(); H.step0(); H.step0(); H.collect1()
  end},
  {"old1_trash_keeps_survival", function()  -- x: 1 minor survived when y is linked
    H.alloc("x", 1, "none"); H.step0()
    H.alloc("y", 0, "none"); H.link("x", 0, "y"); H.weak("wx", "x"); H.weak("wy", "y")
    H.step0()                               -- x has survived 2 minors (old), y 1
    H.drop("x"); H.drop("y")
    H.step0(); H.step0(); H.collect1()
  end},
  {"young_trash_holder_of_young", function()   -- survival s (trash) -> new y (trash)
    H.alloc("s", 1, "none"); H.step0()
    H.alloc("y", 0, "none"); H.link("s", 0, "y")
    H.drop("s"); H.drop("y")
    H.step0()
  end},
  {"minor_finalizes_new", function()       -- finalizable, new, trash
    H.alloc("f", 0, "log"); H.alloc("c", 0, "none"); H.alloc("g", 1, "log")
    H.link("g", 0, "c"); H.weak("wf", "f"); H.weak("wc", "c")
    H.drop("f"); H.drop("c"); H.drop("g")
    H.step0(); H.step0(); H.step0(); H.collect1()
  end},
  {"minor_finalizes_survival", function()  -- finalizable, survived one minor, trash
    H.alloc("f", 0, "log"); H.step0(); H.drop("f")
    H.step0(); H.step0(); H.step0(); H.collect1()
  end},
  {"minor_skips_old_finalizable", function() -- finalizable, old (survived collect), trash
    H.alloc("f", 0, "log"); H.collect1(); H.drop("f")
    H.step0(); H.step0(); H.collect1(); H.collect1()
  end},
  {"finalized_in_full_then_minor", function() -- finalized by a full collection: old
    H.alloc("f", 0, "log"); H.drop("f")
    H.collect1(); H.step0(); H.step0(); H.collect1()
  end},
  {"resurrected_in_minor", function()
    H.alloc("r", 0, "resurrect"); H.weak("wr", "r"); H.drop("r")
    H.step0()
    H.clear_revived(); print("   clear revived")
    H.step0(); H.step0(); H.collect1()
  end},
  {"resurrected_in_minor_released_later", function()
    H.alloc("r", 0, "resurrect"); H.drop("r")
    H.step0(); H.step0()
    H.clear_revived(); print("   clear revived (after 2 minors)")
    H.step0(); H.step0(); H.collect1()
  end},
  {"alloc_finalizer_in_minor", function()
    H.alloc("a", 1, "alloc"); H.drop("a")
    H.step0(); H.step0(); H.step0(); H.collect1()
  end},
  {"step_return_values", function()
    print("   collectgarbage('step', 0) returns (no garbage): " .. tostring(collectgarbage("step", 0)))
    print("   collectgarbage('step', 1) returns: " .. tostring(collectgarbage("step", 1)))
    print("   collectgarbage('collect') returns: " .. tostring(collectgarbage("collect")))
  end},
})
