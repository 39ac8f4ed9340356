// The `.gct` text format: the canonical printer and the parser (SPEC.md section 1.3,
// docs/trace-format.md). Both are written once over the op fields' token types, through Boost.PFR.
#pragma once

#include "harness/trace/layer.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/ops.h"

namespace gcfuzz {

// Limits on what the parser accepts; exceeding one is a parse error that says which.
inline constexpr std::size_t kMaxLineLength = 4096;
inline constexpr std::size_t kMaxOps = 4'000'000;
inline constexpr std::size_t kMaxNameLength = 64;
inline constexpr std::size_t kMaxDistinctNames = 65'536;
inline constexpr std::uint32_t kMaxObjectId = 1u << 30;
inline constexpr std::int64_t kMaxCount = 1'000'000'000'000;

struct ParseError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  // `file:line:col: message`
  std::string to_string() const;
};

struct ParsedTrace {
  Trace trace;
  std::vector<int> line_of_op;  // 1-based source line of each op
};

struct ParseResult {
  std::optional<ParsedTrace> parsed;
  std::optional<ParseError> error;
};

ParseResult parse_trace(std::string_view text, std::string_view file_name);
// Reads and parses a file; a file that cannot be read is a ParseError at line 0.
ParseResult load_trace(const std::filesystem::path& path);

std::string print_op(const Op& op);
// The canonical text: the header as `#` lines, then one op per line.
std::string print_trace(const Trace& trace);

// A stable 64-bit hash of the canonical text (FNV-1a), printed as 16 hex digits; names
// saved failures.
std::string content_hash(const Trace& trace);

}  // namespace gcfuzz
