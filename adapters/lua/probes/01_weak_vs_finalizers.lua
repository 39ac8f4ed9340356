-- Q1: are weak values cleared before finalizers run, weak keys (ephemerons) after?
-- Is a weak value to an object with __gc cleared in the cycle that finalizes it, and does
-- it stay cleared after resurrection?
-- Observers inside __gc: W (weak values) entries and EK (a weak-keyed table, EK[obj] =
-- true). collectgarbage("count") fails inside a finalizer (5.4.4), so "were frees done
-- before the finalizers ran?" is read from /proc/self/statm (VmSize: glibc returns a big,
-- mmapped block to the kernel at free) in scenario frees_before_finalizers.
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")
EK = setmetatable({}, {__mode = "k"})
local function eksize() local n = 0 for _ in pairs(EK) do n = n + 1 end return n end
local function hook(o)
  local ws = {}
  for _, w in ipairs(WATCH) do ws[#ws + 1] = w .. "=" .. (W[w] and "set" or "nil") end
  print(string.format("   in __gc(@%d): W: %s | EK[self]=%s EK[slot0 obj]=%s #EK=%d",
    o.id, table.concat(ws, " "), tostring(EK[o] ~= nil),
    o[1] and tostring(EK[o[1]] ~= nil) or "-", eksize()))
end
H.fin_hooks[1] = hook
local function collect()
  for i = 1, H.ncollect do
    H.observe(H.ncollect == 1 and "collect" or ("collect[" .. i .. "/" .. H.ncollect .. "]"),
      function() return collectgarbage("collect") end)
    print("   after: #EK=" .. eksize() .. " #revived=" .. #revived)
  end
end
local function vmsize_pages()
  local f = io.open("/proc/self/statm")
  local n = tonumber(f:read("l"):match("^(%d+)"))
  f:close()
  return n
end

H.run({
  {"log_object", function()
    -- a finalizable object with a weak value and a weak key; b a plain object
    H.alloc("b", 0, "none")
    H.alloc("a", 0, "log")
    H.weak("wa", "a"); EK[V.a] = true; EK[V.b] = true; WATCH = {"wa"}
    print("   before: #EK=" .. eksize())
    H.drop("a"); H.drop("b")
    collect()
    print("next round:")
    collect()
  end},
  {"resurrected_object", function()
    H.alloc("b", 0, "none")
    H.alloc("r", 0, "resurrect")
    H.weak("wr", "r"); EK[V.r] = true; EK[V.b] = true; WATCH = {"wr"}
    print("   before: #EK=" .. eksize())
    H.drop("r"); H.drop("b")
    collect()
    -- a new weak variable to the resurrected object (it is reachable from revived now)
    V.x = revived[1]; H.weak("wr2", "x"); H.drop("x")
    print("next round (r still in revived; new weak variable wr2 to it):")
    collect()
    print("clear revived, then:")
    H.clear_revived()
    collect()
  end},
  {"nonfinalizable_dependent", function()
    -- c has no __gc and is reachable only from finalizable a (Q9 too)
    H.alloc("a", 1, "log")
    H.alloc("c", 0, "none")
    H.link("a", 0, "c")
    H.weak("wc", "c"); H.weak("wa", "a"); EK[V.c] = true; EK[V.a] = true; WATCH = {"wa", "wc"}
    print("   before: #EK=" .. eksize())
    H.drop("c"); H.drop("a")
    collect()
    print("next round:")
    collect()
  end},
  {"frees_before_finalizers", function()
    -- @0..@5 and @6 (512 KiB) are plain objects; glibc munmaps blocks >= 128 KiB (@4..@6,
    -- 224 pages) at free, so VmSize shows whether they were freed before __gc(@7) ran
    H.quiet_alloc = true
    for i = 0, 5 do H.alloc("p" .. i, 0, "none") end
    H.quiet_alloc = false
    H.alloc("big", 0, "none")
    H.alloc("f", 0, "log")
    for i = 0, 5 do H.drop("p" .. i) end
    H.fin_hooks[1] = function(o)
      print(string.format("   in __gc(@%d): VmSize now %d pages (before collect %d)",
        o.id, vmsize_pages(), VMBEFORE))
    end
    H.drop("big"); H.drop("f")
    VMBEFORE = vmsize_pages()
    H.collect1()
    print(string.format("   after collect: VmSize %d pages", vmsize_pages()))
  end},
})
