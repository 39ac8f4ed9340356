// Synthetic heap shapes, built op by op.
#include "harness/trace/workloads.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace gcfuzz {

void append(Trace& trace, Op op) {
  trace.ops.push_back(std::move(op));
}

Trace chain_trace(std::size_t length, bool cyclic) {
  Trace t;
  t.header = {cyclic ? "a cyclic list" : "a linked list"};
  t.ops.reserve(3 * length + 2);
  if (length == 0) return t;
  append(t, Alloc{Var{"head"}, SlotCount{1}, {}});
  if (cyclic) append(t, Copy{Var{"first"}, Var{"head"}});
  for (std::size_t i = 1; i < length; ++i) {
    append(t, Alloc{Var{"node"}, SlotCount{1}, {}});
    append(t, Link{Var{"node"}, Slot{0}, Var{"head"}});
    append(t, Copy{Var{"head"}, Var{"node"}});
  }
  append(t, Drop{Var{"node"}});
  if (cyclic) {
    append(t, Link{Var{"first"}, Slot{0}, Var{"head"}});
    append(t, Drop{Var{"first"}});
  }
  return t;
}

Trace random_heap_trace(std::size_t objects, std::uint64_t seed) {
  constexpr int kPool = 64;
  std::mt19937_64 random(seed);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
  std::vector<std::string> pool;
  for (int i = 0; i < kPool; ++i) pool.push_back("p" + std::to_string(i));
  Trace t;
  t.header = {"a random heap"};
  t.ops.reserve(objects * 4);
  for (std::size_t i = 0; i < objects; ++i) {
    // The new object points to objects in the pool (so most of the heap stays reachable
    // through chains of slots), now and then one of them points back to it (a cycle), and
    // it replaces a pool variable's object, which stays reachable or becomes trash.
    append(t, Alloc{Var{"fresh"}, SlotCount{2}, {}});
    append(t, Link{Var{"fresh"}, Slot{0}, Var{pool[pick(kPool)]}});
    if (pick(4) != 0) append(t, Link{Var{"fresh"}, Slot{1}, Var{pool[pick(kPool)]}});
    if (pick(16) == 0) append(t, Link{Var{pool[pick(kPool)]}, Slot{pick(2)}, Var{"fresh"}});
    append(t, Copy{Var{pool[pick(kPool)]}, Var{"fresh"}});
  }
  append(t, Drop{Var{"fresh"}});
  return t;
}

}  // namespace gcfuzz

namespace gcfuzz {

namespace {

// Post-order: the subtree of `size` objects ends up in variable t<depth>; its left subtree is
// parked in l<depth> while the right one is built. Variables: two per level.
void build_tree(Trace& t, std::size_t size, int depth) {
  const std::string here = "t" + std::to_string(depth);
  const std::string below = "t" + std::to_string(depth + 1);
  const std::string left_var = "l" + std::to_string(depth);
  const std::size_t left = (size - 1) / 2;
  const std::size_t right = size - 1 - left;
  if (left > 0) {
    build_tree(t, left, depth + 1);
    append(t, Copy{Var{left_var}, Var{below}});
  }
  if (right > 0) build_tree(t, right, depth + 1);
  append(t, Alloc{Var{here}, SlotCount{2}, {}});
  if (left > 0) {
    append(t, Link{Var{here}, Slot{0}, Var{left_var}});
    append(t, Drop{Var{left_var}});
  }
  if (right > 0) append(t, Link{Var{here}, Slot{1}, Var{below}});
}

// Small cycles of `per_cycle` objects, each cycle's first object holding the previous cycle
// in slot 1 (a spine), the last cycle in variable `spine`. With `weak_every`, a weak
// variable with a callback (32 of them, reused) watches one object in that many.
void build_cycles(Trace& t, std::size_t objects, int per_cycle, Finalizer fin,
                  std::size_t weak_every) {
  std::size_t made = 0;
  std::size_t weak_index = 0;
  while (made < objects) {
    const int n = static_cast<int>(std::min<std::size_t>(per_cycle, objects - made));
    append(t, Alloc{Var{"c0"}, SlotCount{2}, FinalizerField{fin}});
    for (int i = 1; i < n; ++i) {
      const Var v{"c" + std::to_string(i)};
      append(t, Alloc{v, SlotCount{1}, FinalizerField{fin}});
      append(t, Link{Var{"c" + std::to_string(i - 1)}, Slot{0}, v});
    }
    append(t, Link{Var{"c" + std::to_string(n - 1)}, Slot{0}, Var{"c0"}});
    append(t, Link{Var{"c0"}, Slot{1}, Var{"spine"}});
    append(t, Copy{Var{"spine"}, Var{"c0"}});
    if (weak_every != 0 && made / weak_every != (made + n) / weak_every) {
      append(t, Weak{Var{"w" + std::to_string(weak_index++ % 32)}, Var{"c0"}, {true}});
    }
    made += static_cast<std::size_t>(n);
  }
}

// Drops every strong variable the trace binds; weak ones stay, to be cleared.
void drop_strong_variables(Trace& t) {
  std::vector<std::string> names;
  for (const Op& op : t.ops) {
    if (const auto* a = std::get_if<Alloc>(&op)) names.push_back(a->var.name);
    if (const auto* c = std::get_if<Copy>(&op)) names.push_back(c->var.name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const std::string& name : names) append(t, Drop{Var{name}});
}

}  // namespace

std::optional<Shape> shape_named(std::string_view name) {
  for (std::size_t i = 0; i < kShapeNames.size(); ++i) {
    if (kShapeNames[i] == name) return static_cast<Shape>(i);
  }
  return std::nullopt;
}

std::string_view describe(Shape shape) {
  switch (shape) {
    case Shape::list:
      return "a singly linked list, one variable at its head (reference counting frees it in a "
             "cascade)";
    case Shape::tree:
      return "a complete binary tree, 2 slots per object, built bottom-up";
    case Shape::graph:
      return "a random graph, 2 slots per object, through a pool of 64 variables, with back "
             "edges (cycles) and trash made on the way";
    case Shape::cycles:
      return "many 3-object cycles chained on a spine: all cyclic trash once dropped";
    case Shape::finalizers:
      return "2-object cycles whose objects all have a logging finalizer, a weak reference "
             "with a callback on one object in 64";
  }
  return "";
}

Trace synthetic_trace(Shape shape, std::size_t objects, std::uint64_t seed) {
  Trace t;
  switch (shape) {
    case Shape::list:
      t = chain_trace(objects, /*cyclic=*/false);
      break;
    case Shape::tree:
      if (objects > 0) build_tree(t, objects, 0);
      break;
    case Shape::graph:
      t = random_heap_trace(objects, seed);
      break;
    case Shape::cycles:
      build_cycles(t, objects, 3, Finalizer::none, 0);
      break;
    case Shape::finalizers:
      build_cycles(t, objects, 2, Finalizer::log, 64);
      break;
  }
  t.header = {fmt::format("{}-{}: {}", name_of(shape), objects, describe(shape))};
  append(t, Collect{});
  drop_strong_variables(t);
  append(t, Collect{});
  return t;
}

}  // namespace gcfuzz
