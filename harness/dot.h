// `gcfuzz show --dot`: the model's heap as a Graphviz graph.
#pragma once

#include <string>
#include <vector>

#include "model/events.h"
#include "model/model.h"

namespace gcfuzz {

struct DotOptions {
  std::string title;
  Events last_op;                   // drawn: what the last op freed (others are gone)
  std::vector<ObjectId> highlight;  // drawn in red: the diverging objects
};

// Roots (variables, weak variables, revived, garbage) as boxes; reachable objects solid;
// trash dashed; objects the last op freed dotted grey; finalized objects with a double
// border; slots as labelled edges, weak references as dashed edges.
std::string heap_dot(const Model& model, const DotOptions& options);

}  // namespace gcfuzz
