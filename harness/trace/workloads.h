// Synthetic heaps as traces: the shapes scale tests, benchmarks and comparisons build.
// Each is an ordinary trace, so it runs through the model, any collector and the checker
// like every other.
#pragma once

#include "harness/trace/layer.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "model/ops.h"

namespace gcfuzz {

// A singly linked list of `length` objects held by variable `head` (each node's slot 0
// points to the next). With `cyclic`, the last node points back to the first, so only a
// cycle collector can reclaim it once `head` is dropped. 3 ops per node.
Trace chain_trace(std::size_t length, bool cyclic);

// `objects` objects with 2 slots each, linked at random among recently allocated ones held
// in a pool of 64 variables, with some back edges (cycles). Objects evicted from the pool
// stay reachable through slots or become trash, some of it cyclic. Deterministic for a seed.
Trace random_heap_trace(std::size_t objects, std::uint64_t seed);

// The shapes of `gcfuzz compare`'s synthetic heaps.
enum class Shape : std::uint8_t { list, tree, graph, cycles, finalizers };
inline constexpr std::array<std::string_view, 5> kShapeNames = {"list", "tree", "graph", "cycles",
                                                                "finalizers"};
inline std::string_view name_of(Shape s) {
  return kShapeNames[static_cast<int>(s)];
}
std::optional<Shape> shape_named(std::string_view name);
// One line: what the heap looks like and what reclaiming it takes.
std::string_view describe(Shape shape);

// A heap of `objects` objects of `shape` built op by op (only `graph` makes trash on the
// way), then a full `collect` with the heap held by variables, then every strong variable
// dropped and a full `collect` again: the two collections a comparison times, the last two
// `collect` ops of the trace. Deterministic for a seed (only `graph` uses it).
Trace synthetic_trace(Shape shape, std::size_t objects, std::uint64_t seed);

// Appends `op` to `trace`. Handy for building traces in code.
void append(Trace& trace, Op op);

}  // namespace gcfuzz
