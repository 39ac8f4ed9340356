// Human-readable reports: a divergence with its context, and plain-text tables.
#pragma once

#include "harness/report/layer.h"

#include <optional>
#include <string>
#include <vector>

#include "harness/engine/divergence.h"
#include "model/ops.h"

namespace gcfuzz {

// Where a trace came from, for `file:line` references in reports.
struct TraceSource {
  std::string file;             // empty for generated traces
  std::vector<int> line_of_op;  // empty for generated traces
};

// Several lines, no trailing newline:
//   trial-deletion:pep442: exactness divergence at op 6 (corpus/x.gct:9): collect
//     freed: expected [@0 @1], observed [@0]
//     model:     freed @0 @1, finalized @0, collected 2
//     collector: freed @0, finalized @0, collected 2
std::string format_divergence(const Divergence& d, const Trace& trace,
                              const TraceSource& source = {});

// The first lines of a sanitizer report, indented, for a crash divergence.
std::string diagnostics_excerpt(const std::string& diagnostics, std::size_t max_lines = 20);

// `1 collector`, `2 collectors`.
std::string count_of(std::size_t n, std::string_view noun);

// What a conservative collector retained: `3 objects over 2 collections, 1 held at the end`.
std::string describe_retention(std::size_t objects, std::size_t collections,
                               std::size_t held_at_end);

// A left-aligned text table; the first row is the header.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

// A trace as .gct text with each line numbered by op index (for reports), optionally only
// up to op `last`.
std::string numbered_trace(const Trace& trace, std::optional<std::size_t> last = std::nullopt);

}  // namespace gcfuzz
