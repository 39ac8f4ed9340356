// `gcfuzz compare --format html`: the comparison as one self-contained HTML page, its charts
// drawn as inline SVG (no JavaScript, nothing fetched when it is viewed).
#pragma once

#include "harness/report/layer.h"

#include <string>

#include <nlohmann/json.hpp>

namespace gcfuzz {

// Renders a gcfuzz-compare/1 object (docs/compare-json.md), with or without its
// "mutation_score" (a gcfuzz-selftest/1 object or null), as one HTML page: a header, the
// per-collector summary table, the charts (collection time against heap size, pauses, memory
// overhead, mutation score), then the workloads and each collector's status on each.
// A null or missing number is shown as "–" and left out of the charts; never throws on
// missing keys or values of the wrong type.
std::string render_html_report(const nlohmann::json& compare);

}  // namespace gcfuzz
