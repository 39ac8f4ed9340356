// Writes the model's heap in the Graphviz dot language.
#include "harness/dot.h"

#include <algorithm>

#include <fmt/format.h>

#include "harness/event_format.h"

namespace gcfuzz {

namespace {

std::string node(ObjectId id) {
  return fmt::format("o{}", id.value);
}

}  // namespace

std::string heap_dot(const Model& model, const DotOptions& options) {
  const std::vector<bool> reachable = model.reachable();
  const HeapGraph graph = model.graph();
  auto freed_now = [&](ObjectId id) {
    return std::find(options.last_op.freed.begin(), options.last_op.freed.end(), id) !=
           options.last_op.freed.end();
  };
  auto highlighted = [&](ObjectId id) {
    return std::find(options.highlight.begin(), options.highlight.end(), id) !=
           options.highlight.end();
  };

  std::string out = "digraph heap {\n  rankdir=LR;\n  node [fontname=\"Helvetica\" fontsize=11];\n";
  if (!options.title.empty()) out += fmt::format("  labelloc=t; label=\"{}\";\n", options.title);
  out += "  subgraph cluster_roots {\n    label=\"roots\"; style=dotted;\n";
  for (const auto& [name, id] : graph.variables) {
    out += fmt::format("    v_{} [label=\"{}\" shape=box];\n", name, name);
  }
  for (const auto& [name, id] : graph.weak) {
    out += fmt::format("    w_{} [label=\"{} (weak)\" shape=box style=dashed];\n", name, name);
  }
  if (!graph.revived.empty()) out += "    revived [shape=box3d];\n";
  if (!graph.garbage.empty()) out += "    garbage [shape=box3d color=darkorange];\n";
  out += "  }\n";

  for (std::uint32_t i = 0; i < model.object_count(); ++i) {
    const ObjectId id{i};
    const bool freed = model.is_freed(id);
    if (freed && !freed_now(id)) continue;
    std::string label = at(id);
    if (model.finalizer(id) != Finalizer::none) {
      label += fmt::format("\\nfin={}", name_of(model.finalizer(id)));
    }
    std::vector<std::string> attributes = {fmt::format("label=\"{}\"", label)};
    if (freed) {
      attributes.push_back("style=dotted color=grey fontcolor=grey xlabel=\"freed\"");
    } else if (!reachable[i]) {
      attributes.push_back("style=dashed color=firebrick xlabel=\"trash\"");
    }
    if (model.times_finalized(id) > 0) attributes.push_back("peripheries=2");
    if (highlighted(id)) attributes.push_back("style=filled fillcolor=\"#ffb0b0\"");
    std::string joined;
    for (const std::string& a : attributes) joined += (joined.empty() ? "" : " ") + a;
    out += fmt::format("  {} [{}];\n", node(id), joined);
    if (freed) continue;
    const auto slots = model.slots(id);
    for (std::size_t s = 0; s < slots.size(); ++s) {
      if (slots[s])
        out += fmt::format("  {} -> {} [label=\"s{}\"];\n", node(id), node(*slots[s]), s);
    }
  }
  for (const auto& [name, id] : graph.variables)
    out += fmt::format("  v_{} -> {};\n", name, node(id));
  for (const auto& [name, id] : graph.weak) {
    if (id) out += fmt::format("  w_{} -> {} [style=dashed];\n", name, node(*id));
  }
  for (ObjectId id : graph.revived) out += fmt::format("  revived -> {};\n", node(id));
  for (ObjectId id : graph.garbage)
    out += fmt::format("  garbage -> {} [color=darkorange];\n", node(id));
  out += "}\n";
  return out;
}

}  // namespace gcfuzz
