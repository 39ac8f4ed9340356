// `gcfuzz show --dot`: the model's heap as a Graphviz graph, a divergence marked on it, and
// the graph rendered to SVG or PNG through Graphviz's `dot` program.
#pragma once

#include "harness/report/layer.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/engine/divergence.h"
#include "model/events.h"
#include "model/model.h"

namespace gcfuzz {

struct DotOptions {
  std::vector<std::string> title;  // one line each, drawn above the graph
  Events last_op;                  // the drawn op's events, sorted: what it freed is drawn
  // Drawn in red, with a note saying what the collector did differently ("" for none). An
  // object may be one the model freed earlier: it is drawn then, as "freed earlier".
  std::map<ObjectId, std::string> diverging;
  std::map<std::string, std::string> diverging_weak;  // weak variables, likewise
};

// What `divergence` is about, for a heap drawn after its op: its objects, and every object
// or weak variable whose events the collector reported differently from the model (`freed
// by the collector; reachable in the model`). `model` is the one the collector is judged
// by, after the op.
void mark_divergence(const Divergence& divergence, const Model& model, DotOptions& options);

// Roots (variables, weak variables, revived, garbage) as boxes; reachable objects solid;
// trash (unreachable, not yet freed) dashed grey; objects the last op freed dotted; objects
// in `garbage` orange; finalized objects with a double border; resurrected ones (finalized,
// then reachable again) green; diverging ones red. Slots are labelled edges, weak
// references dashed edges; a legend explains the marks the graph uses.
std::string heap_dot(const Model& model, const DotOptions& options);

// Graphviz's `dot` program, searched on PATH; nullopt when it is not installed.
std::optional<std::filesystem::path> find_graphviz_dot();

// Pipes `dot_text` through `dot_program -T<format>` (format: `svg`, `png`) into `output`,
// atomically (a temporary file beside it, then a rename). Throws std::runtime_error when
// `dot` fails; its own messages go to stderr.
void render_dot(const std::filesystem::path& dot_program, std::string_view dot_text,
                std::string_view format, const std::filesystem::path& output);

}  // namespace gcfuzz
