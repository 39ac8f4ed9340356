-- The prelude of the scripts that `gcfuzz show --lua` writes: a trace performed in Lua 5.4
-- (`lua5.4`), printing per op the same JSON events as `gcfuzz model --json`. The script
-- is this prelude, one `run(...)` call per op, then `finish()`. Its first argument is the
-- collector's mode: `incremental` (the default) or `generational`.
--
-- How gcfuzz's world is mapped onto Lua (adapters/lua/probes/FINDINGS.md, "Method"):
-- - An object is a table. Slot S is integer key S+1; a null slot is nil. The slot count and
--   the id are number fields (`_n`, `_id`), which keep nothing alive. A payload (`bytes=B`)
--   is not represented: it changes no rule (SPEC.md 1.3).
-- - A finalizer is a `__gc` in one metatable per kind, set by `setmetatable` at `alloc`
--   (that call is what marks the object for finalization). `legacy` acts as `log`.
-- - Strong variables are entries of V; weak variables are entries of W, a weak-valued
--   table. `weak W V cb` acts as `weak W V`: Lua has no weak-reference callback.
-- - Frees are seen without perturbing the collector: ALL maps every object not yet freed
--   to its id, with weak keys and number values. Lua removes a weak key's entry in the
--   collection that frees its object, and only then: an object kept for its finalizer
--   keeps its entry (probes/FINDINGS.md Q1). No other weak table, reference or finalizer
--   watches frees.
-- - `collect` is collectgarbage("collect"); `collect young` is collectgarbage("step", 0),
--   one minor collection, in generational mode, and a full collection in incremental mode.
-- - The automatic collector is stopped, so only `collect` ops collect. No function that
--   calls collectgarbage holds a trace object in a local, and no helper keeps one once it
--   returns. Finalizers never call collectgarbage.
-- - The script ends with os.exit(0, false): closing the state would finalize every object
--   still marked (probes/FINDINGS.md Q7), which is no op of the trace.
local MODE = arg and arg[1] or "incremental"
if MODE ~= "incremental" and MODE ~= "generational" then
  error("gcfuzz: the mode is `incremental` or `generational`, not `" .. tostring(MODE) .. "`")
end
collectgarbage(MODE)  -- before any trace object exists
collectgarbage("stop")
warn("@on")  -- an error inside __gc is written to stderr, which fails the run

local V = {}                                 -- strong variables
local W = setmetatable({}, {__mode = "v"})   -- weak variables: name -> object
local BOUND = {}                             -- weak variable name -> true while bound
local ALL = setmetatable({}, {__mode = "k"}) -- object -> id, until the object is freed
revived = {}                                 -- the `revived` list, a root

local ALIVE = {}      -- id -> true: the ids that were in ALL after the last op
local NEXT_ID = 0
local FINALIZED = {}  -- ids whose finalizer ran during the op in progress
local CREATORS = {}   -- ids whose finalizer allocated during the op in progress

local function new(n)
  local o = {_n = n, _id = NEXT_ID}
  ALL[o] = NEXT_ID
  NEXT_ID = NEXT_ID + 1
  return o
end

local function log(self)
  FINALIZED[#FINALIZED + 1] = self._id
end

local KINDS = {
  none = false,
  log = {__gc = log},
  resurrect = {__gc = function(self)
    FINALIZED[#FINALIZED + 1] = self._id
    revived[#revived + 1] = self
  end},
  alloc = {__gc = function(self)
    FINALIZED[#FINALIZED + 1] = self._id
    -- Numbered when the op ends, in creator order (SPEC.md 1.2): Lua runs finalizers in
    -- descending id.
    local fresh = {_n = 0, _id = -1 - self._id}
    ALL[fresh] = fresh._id
    CREATORS[#CREATORS + 1] = self._id
    if self._n > 0 then self[1] = fresh end
  end},
  legacy = {__gc = log},
}

function op_alloc(v, n, kind)
  local o = new(n)
  if KINDS[kind] then setmetatable(o, KINDS[kind]) end
  V[v] = o
end

function op_link(v, s, w)
  local o, t = V[v], V[w]
  if o == nil or t == nil or s >= o._n then return end
  o[s + 1] = t
end

function op_unlink(v, s)
  local o = V[v]
  if o == nil or s >= o._n then return end
  o[s + 1] = nil
end

function op_load(v, w, s)
  local o = V[w]
  if o == nil or s >= o._n then return end
  V[v] = o[s + 1]
end

function op_copy(v, w)
  local o = V[w]
  if o == nil then return end
  V[v] = o
end

function op_drop(v)
  BOUND[v] = nil
  W[v] = nil
  V[v] = nil
end

function op_weak(w, v)
  local o = V[v]
  if o == nil then return end
  W[w] = o
  BOUND[w] = true
end

function op_deref(v, w)
  if not BOUND[w] then return end
  V[v] = W[w]
end

function op_collect(young)
  if young and MODE == "generational" then
    collectgarbage("step", 0)
  else
    collectgarbage("collect")
  end
end

function op_clear_revived()
  for i = #revived, 1, -1 do revived[i] = nil end
end

function op_clear_garbage() end  -- Lua has no garbage list

function op_expect() end

-- The weak variables bound to an object, by name (strings only: no object escapes).
local function weak_set()
  local names = {}
  for name in pairs(BOUND) do
    if W[name] ~= nil then names[#names + 1] = name end
  end
  return names
end

-- Gives the objects finalizers allocated their ids, and returns the ids in ALL.
local function renumber_and_scan()
  table.sort(CREATORS)
  local numbering = {}
  for _, creator in ipairs(CREATORS) do
    numbering[-1 - creator] = NEXT_ID
    NEXT_ID = NEXT_ID + 1
  end
  local alive = {}
  for o, id in pairs(ALL) do
    if id < 0 then
      id = numbering[id]
      ALL[o] = id
      o._id = id
    end
    alive[id] = true
  end
  return alive, numbering
end

local function ints(t)
  table.sort(t)
  return "[" .. table.concat(t, ", ") .. "]"
end

local function names(t)
  table.sort(t)
  local quoted = {}
  for i, n in ipairs(t) do quoted[i] = '"' .. n .. '"' end
  return "[" .. table.concat(quoted, ", ") .. "]"
end

function run(index, text, action, a, b, c)
  FINALIZED = {}
  CREATORS = {}
  local before = weak_set()
  action(a, b, c)
  local alive, numbering = renumber_and_scan()
  local freed = {}
  for id in pairs(ALIVE) do
    if not alive[id] then freed[#freed + 1] = id end
  end
  for _, id in pairs(numbering) do
    if not alive[id] then freed[#freed + 1] = id end
  end
  ALIVE = alive
  local cleared = {}
  for _, name in ipairs(before) do
    if BOUND[name] and W[name] == nil then cleared[#cleared + 1] = name end
  end
  local line = string.format(
    '{"op": %d, "text": "%s", "freed": %s, "finalized": %s, "garbage": [], ' ..
    '"cleared": %s, "callbacks": []', index, text, ints(freed), ints(FINALIZED), names(cleared))
  if action == op_collect then line = line .. string.format(', "collected": %d', #freed) end
  io.stdout:write(line, "}\n")
end

function finish()
  io.stdout:flush()
  os.exit(0, false)
end

-- Garbage left by loading the script, freed before the first op.
collectgarbage("collect")
collectgarbage("collect")
