-- Q10 (extra): what marks an object for finalization (manual 2.5.3)?
--  - __gc added to the metatable after setmetatable: not marked
--  - a placeholder __gc (false) at setmetatable, a function later: marked, called
--  - __gc replaced after marking: which function runs?
--  - __gc removed, or the metatable removed, after marking: what happens, when freed?
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")
local function logger(tag)
  return function(o) print(string.format("   __gc(@%d) runs: %s", o.id, tag)) end
end

H.run({
  {"gc_added_after_setmetatable", function()
    H.alloc("a", 0, "none"); local mt = {}; setmetatable(V.a, mt)
    mt.__gc = logger("added later"); mt = nil
    H.alloc("b", 0, "none")    -- for comparison: plain
    H.drop("a"); H.drop("b"); H.collect1(); H.collect1()
  end},
  {"placeholder_then_function", function()
    H.alloc("a", 0, "none"); local mt = {__gc = false}; setmetatable(V.a, mt)
    mt.__gc = logger("set after a placeholder"); mt = nil
    H.drop("a"); H.collect1(); H.collect1()
  end},
  {"placeholder_left_false", function()
    H.alloc("a", 0, "none"); setmetatable(V.a, {__gc = false})
    H.drop("a"); H.collect1(); H.collect1()
  end},
  {"gc_replaced_after_marking", function()
    H.alloc("a", 0, "none"); local mt = {__gc = logger("original")}; setmetatable(V.a, mt)
    mt.__gc = logger("replacement"); mt = nil
    H.drop("a"); H.collect1(); H.collect1()
  end},
  {"gc_removed_after_marking", function()
    H.alloc("a", 0, "none"); local mt = {__gc = logger("original")}; setmetatable(V.a, mt)
    mt.__gc = nil; mt = nil
    H.alloc("b", 0, "none")
    H.drop("a"); H.drop("b"); H.collect1(); H.collect1()
  end},
  {"metatable_removed_after_marking", function()
    H.alloc("a", 0, "log"); setmetatable(V.a, nil)
    H.alloc("b", 0, "none")
    H.drop("a"); H.drop("b"); H.collect1(); H.collect1()
  end},
})
