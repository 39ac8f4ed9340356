// Synthetic heap shapes, built op by op.
#include "harness/workloads.h"

#include <random>
#include <string>
#include <vector>

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
