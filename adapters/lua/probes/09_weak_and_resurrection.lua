-- Q9: weak values (gcfuzz weak variables) and resurrection.
--  - a weak value to an object that its finalizer resurrects: cleared? stays cleared?
--  - a weak value to an object without __gc that only a finalizable object reaches
--  - a weak value to a finalizable object that another finalizable object reaches
--  - a weak value created by a finalizer to its (resurrected-for-finalization) object
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")

H.run({
  {"weak_to_resurrected", function()
    H.alloc("r", 0, "resurrect"); H.weak("wr", "r"); H.drop("r")
    H.collect()
    print("   W.wr after resurrection: " .. tostring(W.wr) .. "; revived[1] is @" .. revived[1].id)
    H.collect()
    print("   W.wr still: " .. tostring(W.wr))
  end},
  {"weak_to_dependent_of_finalizable", function()
    -- f (log) -> c (none): c survives this collection (kept for f), but wc is cleared
    H.alloc("f", 1, "log"); H.alloc("c", 0, "none"); H.link("f", 0, "c")
    H.weak("wc", "c"); H.weak("wf", "f"); H.drop("c"); H.drop("f")
    H.collect(); H.collect()
  end},
  {"weak_to_dependent_of_resurrector", function()
    -- r (resurrect) -> c (none): c is resurrected permanently with r; wc cleared anyway
    H.alloc("r", 1, "resurrect"); H.alloc("c", 0, "none"); H.link("r", 0, "c")
    H.weak("wc", "c"); H.drop("c"); H.drop("r")
    H.collect()
    print("   revived[1][1] (c) still there: " .. tostring(revived[1][1] ~= nil))
    H.collect()
  end},
  {"weak_to_finalizable_reached_by_finalizable", function()
    H.alloc("a", 1, "log"); H.alloc("b", 0, "log"); H.link("a", 0, "b")
    H.weak("wa", "a"); H.weak("wb", "b"); H.drop("a"); H.drop("b")
    H.collect(); H.collect()
  end},
  {"weak_made_inside_finalizer", function()
    -- __gc stores a weak value to its own object (CPython gh-91636-like situation)
    H.fin_hooks[1] = function(o) W["wself" .. o.id] = o end
    H.alloc("a", 0, "log"); H.drop("a")
    H.collect1()
    print("   W.wself0 after the collection that finalized a: " .. tostring(W.wself0 ~= nil))
    H.collect1()
    print("   W.wself0 after the next collection: " .. tostring(W.wself0 ~= nil))
  end},
})
