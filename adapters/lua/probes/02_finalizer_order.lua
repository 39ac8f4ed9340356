-- Q2: order of finalizers within one collection. Reverse order of marking (setmetatable)?
-- Ordered by reachability (Boehm) or not? Objects here carry no padding (frees not
-- observed); only the run order of __gc is printed.
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/lib.lua")
local NOPAD = {nopad = true}
local names = {"a", "b", "c", "d", "e"}
local function alloc_all(fin) for _, v in ipairs(names) do H.alloc(v, 1, fin, NOPAD) end end
local function drop_all(order) for _, v in ipairs(order or names) do H.drop(v) end end
local function mark(order)
  for _, v in ipairs(order) do H.mark(v, "log") end
  print("   marked (setmetatable) in order: " .. table.concat(order, " "))
end

H.run({
  {"marked_in_alloc_order", function()
    alloc_all("log"); drop_all(); H.collect()
  end},
  {"marked_in_other_order", function()
    alloc_all("none"); mark({"c", "a", "e", "b", "d"}); drop_all(); H.collect()
  end},
  {"drop_order_irrelevant", function()
    alloc_all("log"); drop_all({"c", "e", "a", "d", "b"}); H.collect()
  end},
  {"chain_forward", function()     -- a -> b -> c -> d -> e (a reaches all)
    alloc_all("log")
    for i = 1, 4 do H.link(names[i], 0, names[i + 1]) end
    print("   links: a->b->c->d->e")
    drop_all(); H.collect()
  end},
  {"chain_backward", function()    -- e -> d -> c -> b -> a (e reaches all)
    alloc_all("log")
    for i = 5, 2, -1 do H.link(names[i], 0, names[i - 1]) end
    print("   links: e->d->c->b->a")
    drop_all(); H.collect()
  end},
  {"chain_forward_marked_reversed", function()
    alloc_all("none")
    for i = 1, 4 do H.link(names[i], 0, names[i + 1]) end
    print("   links: a->b->c->d->e")
    mark({"e", "d", "c", "b", "a"}); drop_all(); H.collect()
  end},
  {"cycle", function()             -- a -> b -> c -> d -> e -> a
    alloc_all("log")
    for i = 1, 5 do H.link(names[i], 0, names[i % 5 + 1]) end
    print("   links: a->b->c->d->e->a")
    drop_all(); H.collect()
  end},
  {"only_trash_is_finalized", function()   -- b and d stay reachable
    alloc_all("log"); drop_all({"a", "c", "e"}); H.collect()
    print("   now drop b, d:"); drop_all({"b", "d"}); H.collect()
  end},
  {"remarked_in_finalizers", function()
    -- each __gc re-marks its object: the re-marking order is the run order of the first
    -- collection, so the next collection runs them in the reverse of that
    for _, v in ipairs(names) do H.alloc(v, 1, "reregister", NOPAD) end
    drop_all(); H.collect1(); H.collect1(); H.collect1()
  end},
  {"across_two_collections", function()
    -- a, b marked; collect (b, a finalized); then c, d marked, and a re-marked: order?
    H.alloc("a", 0, "none", NOPAD); H.alloc("b", 0, "none", NOPAD)
    H.alloc("c", 0, "none", NOPAD); H.alloc("d", 0, "none", NOPAD)
    mark({"a", "b", "c", "d"}); mark({"a"})
    print("   (a marked twice: the second setmetatable changes nothing?)")
    drop_all({"a", "b", "c", "d"}); H.collect()
  end},
})
