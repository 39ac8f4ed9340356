// Reads the reachable graph back through a collector's HeapView, and says how two graphs
// differ (the integrity check, SPEC.md section 5 item 2).
#pragma once

#include "harness/engine/layer.h"

#include <optional>
#include <string>
#include <vector>

#include "gcfuzz/collector.hpp"
#include "model/heap_graph.h"

namespace gcfuzz {

struct GraphReading {
  HeapGraph graph;
  std::vector<HeapView::Ref> reached;  // the reachable objects, as the collector's handles
  std::optional<std::string> problem;  // e.g. two distinct objects claiming one id
};

// Walks from the view's roots with an explicit work list (no recursion on heap depth).
GraphReading read_graph(const HeapView& view);

struct GraphDifference {
  std::string description;        // in words
  std::vector<ObjectId> objects;  // the object whose slots or reachability differ, if one does
};

// The first difference between the model's graph and the collector's; nullopt when they
// are equal.
std::optional<GraphDifference> graph_difference(const HeapGraph& expected,
                                                const HeapGraph& observed);

}  // namespace gcfuzz
