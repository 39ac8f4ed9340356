-- Q8: an error raised by __gc: a warning (with warnings on), not propagated; do the
-- other finalizers of the same collection still run? (lib.lua turns warnings on with
-- warn("@on"); scenario warnings_off turns them off again.)
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")

H.run({
  {"error_in_gc", function()
    H.alloc("a", 0, "log"); H.alloc("b", 0, "error"); H.alloc("c", 0, "log")
    H.drop("a"); H.drop("b"); H.drop("c")
    local ok, err = pcall(H.collect1)
    print("   collect raised? " .. tostring(not ok) .. " " .. tostring(err))
    H.collect1()
  end},
  {"warnings_off", function()
    warn("@off")
    H.alloc("b", 0, "error"); H.drop("b")
    H.collect1(); H.collect1()
  end},
})
