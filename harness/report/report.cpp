// Divergence reports and tables.
#include "harness/report/report.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "harness/trace/event_format.h"
#include "harness/trace/text.h"

namespace gcfuzz {

std::string format_divergence(const Divergence& d, const Trace& trace, const TraceSource& source) {
  std::string where;
  if (!source.file.empty()) {
    where = d.op_index < source.line_of_op.size()
                ? fmt::format(" ({}:{})", source.file, source.line_of_op[d.op_index])
                : fmt::format(" ({})", source.file);
  }
  const std::string op =
      d.op_index < trace.ops.size() ? print_op(trace.ops[d.op_index]) : std::string("end of trace");
  std::string out = fmt::format("{}: {} divergence at op {}{}: {}\n  {}", d.collector,
                                name_of(d.check), d.op_index, where, op, d.detail);
  if (d.expected && d.observed) {
    out += fmt::format("\n  model:     {}\n  collector: {}", describe(*d.expected),
                       describe(*d.observed));
  }
  if (!d.diagnostics.empty()) out += "\n" + diagnostics_excerpt(d.diagnostics);
  return out;
}

std::string diagnostics_excerpt(const std::string& diagnostics, std::size_t max_lines) {
  std::istringstream in(diagnostics);
  std::string out;
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (n++ == max_lines) {
      out += "    ...\n";
      break;
    }
    out += "    | " + line + "\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

std::string count_of(std::size_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::string describe_retention(std::size_t objects, std::size_t collections,
                               std::size_t held_at_end) {
  return fmt::format("{} over {}, {} held at the end", count_of(objects, "object"),
                     count_of(collections, "collection"), held_at_end);
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string numbered_trace(const Trace& trace, std::optional<std::size_t> last) {
  std::string out;
  const std::size_t end = last ? std::min(*last + 1, trace.ops.size()) : trace.ops.size();
  for (std::size_t i = 0; i < end; ++i) {
    out += fmt::format("  {:>4}  {}\n", i, print_op(trace.ops[i]));
  }
  return out;
}

}  // namespace gcfuzz
