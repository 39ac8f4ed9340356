-- Q7: lua_close (end of the state): are pending finalizers run? Which objects: reachable
-- ones too? In what order? Do marks made during closing count? Each __gc prints a line at
-- once (the probe's own log cannot be printed after the state is gone).
-- The standalone interpreter calls lua_close when the script returns, and on
-- os.exit(code, true); os.exit(code) (close = false) exits without lua_close.
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")
H.fin_hooks[1] = function(o) print(string.format("   __gc(@%d) runs", o.id)) end

local function setup()
  H.alloc("a", 0, "log")            -- reachable from V at the end
  H.alloc("b", 0, "log")            -- trash, never collected
  H.alloc("c", 0, "log")            -- finalized by a collection, then dropped again
  H.alloc("d", 0, "reregister")     -- re-marks itself from __gc
  H.alloc("e", 0, "resurrect")      -- stores itself in revived
  H.alloc("f", 0, "log")            -- reachable
  H.drop("c")
  print("collect (c is trash):"); H.collect1()
  H.drop("b")
end

H.run({
  {"script_returns", function()
    setup()
    print("script ends; lua.c calls lua_close:")
  end},
  {"os_exit_close_true", function()
    setup()
    print("os.exit(0, true):")
    os.exit(0, true)
  end},
  {"os_exit_no_close", function()
    setup()
    print("os.exit(0) (no lua_close):")
    os.exit(0)
  end},
  {"collectgarbage_in_finalizer_at_close", function()
    H.fin_hooks[2] = function(o)
      print("   collectgarbage('collect') inside __gc returns: " .. tostring(collectgarbage("collect")))
      print("   collectgarbage('count') inside __gc returns: " .. tostring(collectgarbage("count")))
    end
    H.alloc("a", 0, "log")
    print("collect with a trash:"); H.drop("a"); H.collect1()
  end},
})
