-- lib.lua: a tiny gcfuzz-like world in pure Lua 5.4, for the probes of this directory.
--
-- Usage: lua5.4 NN_name.lua MODE NCOLLECT
--   MODE     = incremental | generational   (set first, before any probe object exists)
--   NCOLLECT = 1 | 2: how many collectgarbage("collect") calls one `collect` op makes;
--              each call's events are printed separately.
--
-- Mapping of gcfuzz onto Lua (see FINDINGS.md):
--   object         = a table; gcfuzz slot S is integer key S+1 (null = nil).
--                    (Full userdata with N user values needs lua_newuserdatauv, C only.)
--   finalizer      = a __gc metamethod, set by setmetatable right after creation
--                    (that is when Lua marks the object for finalization).
--   variables      = entries of the global table V (a root);
--   weak variables = entries of the global table W, a weak-valued table (__mode = "v");
--   revived        = the global table `revived` (a root).
--   freed          = observed through collectgarbage("count"), which is exact (bytes):
--                    object @k carries an array part of (512 << k) `false` entries, i.e.
--                    2^k units of 8 KiB, so the bytes one op frees decode, in binary, into
--                    the set of freed ids. No weak table, no extra reference, no extra
--                    finalizer is used to observe frees, so observing perturbs nothing.
--                    (Allocation noise -- log strings, table growth -- is < 1 KiB per op.)
-- The automatic collector is stopped (collectgarbage("stop")); only the probe collects.

local H = {}
H.dir = (arg[0]:match("^(.*)/[^/]*$") or ".")

H.mode = arg[1] or "incremental"
H.ncollect = tonumber(arg[2] or "1")
-- lua.c (the standalone interpreter) switches to generational before running a script;
-- report that, then set the requested mode while the heap holds no probe object.
H.initial_mode = collectgarbage(H.mode)
collectgarbage("stop")
io.stdout:setvbuf("no")                  -- keep stdout and stderr (warnings) in order
warn("@on")                              -- show errors raised inside __gc (Q8)

local UNIT_ENTRIES = 512
local UNIT = UNIT_ENTRIES * 16          -- a TValue is 16 bytes on x86-64
H.UNIT = UNIT

V = {}                                   -- strong variables (roots)
W = setmetatable({}, {__mode = "v"})     -- weak variables
revived = {}                             -- the revived list (root)

local nextid = 0
local live = {}          -- id -> true while not observed freed (numbers only)
local bound = {}         -- weak variable name -> true while bound and not yet cleared
local finalized_count = {} -- id -> times finalized
local fin_log = {}       -- ids, in finalizer run order, for the current op
local alloc_during = 0   -- bytes allocated by finalizers during the current op
local in_op_created = {} -- ids created by finalizers during the current op
H.fin_hooks = {}         -- functions called as hook(obj) at the start of every __gc
H.quiet_alloc = false

local function mem() return collectgarbage("count") * 1024 end

local FIN = {}           -- kind -> metatable (one per kind, shared)

-- Create an object: nslots slots (keys 1..nslots), padding 2^id units.
-- opts.nopad: no padding (its frees cannot be observed), for order-only probes.
function H.new(nslots, fin, opts)
  opts = opts or {}
  local id = nextid
  nextid = nextid + 1
  local t = {}
  if not opts.nopad then
    local size = UNIT_ENTRIES << id
    for i = 1, size do t[i] = false end
    for i = 1, nslots do t[i] = nil end
  end
  t.id = id
  t.n = nslots
  if fin and fin ~= "none" then setmetatable(t, assert(FIN[fin], fin)) end
  live[id] = not opts.nopad
  return t
end

local function record_fin(o)
  for _, h in ipairs(H.fin_hooks) do h(o) end
  fin_log[#fin_log + 1] = o.id
  finalized_count[o.id] = (finalized_count[o.id] or 0) + 1
end

-- NB: collectgarbage (even "count") returns fail inside a finalizer in 5.4.4 (lua_gc
-- returns -1 while GCSTPGC is set), so the bytes a finalizer allocates are computed.
local function alloc_in_finalizer()
  local t = H.new(0, "none")
  alloc_during = alloc_during + (UNIT << t.id)
  in_op_created[#in_op_created + 1] = t.id
  return t
end

FIN.log = {__gc = function(o) record_fin(o) end}
FIN.resurrect = {__gc = function(o) record_fin(o); revived[#revived + 1] = o end}
FIN.alloc = {__gc = function(o)
  record_fin(o)
  local t = alloc_in_finalizer()
  if o.n >= 1 then o[1] = t end
end}
-- re-registers itself: setmetatable from inside __gc marks the object again
FIN.reregister = {}
FIN.reregister.__gc = function(o) record_fin(o); setmetatable(o, FIN.reregister) end
FIN.reregister_resurrect = {}
FIN.reregister_resurrect.__gc = function(o)
  record_fin(o); revived[#revived + 1] = o; setmetatable(o, FIN.reregister_resurrect)
end
FIN.error = {__gc = function(o) record_fin(o); error("boom from @" .. o.id) end}
H.FIN = FIN

local function fmt_ids(list)
  local s = {}
  for i, id in ipairs(list) do s[i] = "@" .. id end
  return "[" .. table.concat(s, " ") .. "]"
end
H.fmt_ids = fmt_ids

-- ---- ops (gcfuzz names) ----
function H.alloc(v, nslots, fin, opts)
  V[v] = H.new(nslots, fin, opts)
  if not H.quiet_alloc then
    print(string.format("alloc %s %d fin=%s -> @%d", v, nslots, fin or "none", V[v].id))
  end
end
function H.link(v, s, w) if V[v] and V[w] then V[v][s + 1] = V[w] end end
function H.unlink(v, s) if V[v] then V[v][s + 1] = nil end end
function H.copy(v, w) V[v] = V[w] end
function H.load(v, w, s) if V[w] then V[v] = V[w][s + 1] end end
function H.weak(w, v) if V[v] then W[w] = V[v]; bound[w] = true end end
function H.deref(v, w) if bound[w] then V[v] = W[w] end end
function H.drop(v) W[v] = nil; bound[v] = nil; V[v] = nil end
function H.clear_revived() for i = #revived, 1, -1 do revived[i] = nil end end
-- setmetatable now (marks for finalization if the kind's metatable has __gc)
function H.mark(v, fin) setmetatable(V[v], FIN[fin]) end

-- Run `fn` (which collects) and report its events.
local function observe(label, fn)
  fin_log = {}
  alloc_during = 0
  in_op_created = {}
  local live_before = {}
  for id, on in pairs(live) do if on then live_before[id] = true end end
  local before = mem()
  local ret = fn()
  local after = mem()
  local freed_bytes = before - after + alloc_during
  local units = math.floor(freed_bytes / UNIT + 0.5)
  local freed, bit, err = {}, 0, nil
  local id = 0
  while units > 0 do
    if units & 1 == 1 then
      if live_before[id] then freed[#freed + 1] = id; live[id] = false
      else err = (err or "") .. " bit" .. id end
    end
    units = units >> 1
    id = id + 1
  end
  local cleared = {}
  for w in pairs(bound) do if W[w] == nil then cleared[#cleared + 1] = w end end
  table.sort(cleared)
  for _, w in ipairs(cleared) do bound[w] = nil end
  local created = #in_op_created > 0 and (" created=" .. fmt_ids(in_op_created)) or ""
  print(string.format("%s -> finalized(run order)=%s cleared=[%s] freed=%s%s ret=%s%s",
    label, fmt_ids(fin_log), table.concat(cleared, " "), fmt_ids(freed), created,
    tostring(ret), err and (" DECODE-ERROR" .. err) or ""))
  return freed, fin_log, cleared
end
H.observe = observe

-- gcfuzz `collect`: NCOLLECT calls of collectgarbage("collect"), each reported.
function H.collect(n)
  n = n or H.ncollect
  for i = 1, n do
    observe(n == 1 and "collect" or string.format("collect[%d/%d]", i, n),
            function() return collectgarbage("collect") end)
  end
end
-- exactly one collectgarbage("collect"), whatever NCOLLECT
function H.collect1() observe("collect", function() return collectgarbage("collect") end) end
-- gcfuzz `collect young` candidate: collectgarbage("step", 0)
function H.step0() observe("step0", function() return collectgarbage("step", 0) end) end

function H.header(name)
  print(string.format("== %s | %s | requested mode=%s (interpreter started in %s) | NCOLLECT=%d",
    name, _VERSION, H.mode, H.initial_mode, H.ncollect))
end

-- Each scenario runs in a fresh lua5.4 process (a fresh state, ids from @0):
-- `lua5.4 probe.lua MODE NCOLLECT` runs every scenario of the probe, in order, each as
-- `lua5.4 probe.lua MODE NCOLLECT SCENARIO`.
function H.run(scenarios)
  local which = arg[3]
  if which then
    for _, sc in ipairs(scenarios) do
      if sc[1] == which then
        H.header(arg[0] .. " :: " .. which)
        -- flush the garbage of loading the scripts (parser tables, strings): ~8 KiB,
        -- which would otherwise read as a freed unit. No probe object exists yet.
        collectgarbage("collect"); collectgarbage("collect")
        sc[2]()
        return
      end
    end
    error("no scenario " .. which)
  end
  for _, sc in ipairs(scenarios) do
    local cmd = string.format("lua5.4 %s %s %d %s 2>&1", arg[0], H.mode, H.ncollect, sc[1])
    local f = assert(io.popen(cmd))
    io.write(f:read("a"))
    f:close()
    print()
  end
end
function H.alive_ids()
  local l = {}
  for id, on in pairs(live) do if on then l[#l + 1] = id end end
  table.sort(l)
  return fmt_ids(l)
end
function H.times_finalized(id) return finalized_count[id] or 0 end
H.mem = mem

return H
