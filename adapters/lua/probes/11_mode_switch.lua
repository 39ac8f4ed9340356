-- Q11 (extra): does changing the mode collect? collectgarbage("generational") from
-- incremental runs a full cycle (entergen); collectgarbage("incremental") from
-- generational does not. Run as `lua5.4 11_mode_switch.lua incremental|generational 1`.
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")
local other = H.mode == "incremental" and "generational" or "incremental"

H.run({
  {"switch_mode_with_trash", function()
    H.alloc("a", 0, "none"); H.alloc("f", 0, "log"); H.weak("wa", "a")
    H.drop("a"); H.drop("f")
    H.observe('collectgarbage("' .. other .. '")', function() return collectgarbage(other) end)
    H.observe('collectgarbage("' .. H.mode .. '")', function() return collectgarbage(H.mode) end)
  end},
  {"switch_to_same_mode", function()
    H.alloc("a", 0, "none"); H.drop("a")
    H.observe('collectgarbage("' .. H.mode .. '")', function() return collectgarbage(H.mode) end)
  end},
})
