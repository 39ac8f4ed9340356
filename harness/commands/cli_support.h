// Small things every verb needs: loading traces with `file:line:col` errors, finding the
// traces under a folder, reading a policy name.
#pragma once

#include "harness/commands/layer.h"

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "gcfuzz/collector.hpp"
#include "gcfuzz/vocabulary.hpp"
#include "harness/engine/coverage.h"
#include "harness/trace/text.h"
#include "model/model.h"

namespace gcfuzz {

// Parses the file; on failure prints `file:line:col: message` to stderr.
std::optional<ParsedTrace> load_or_report(const std::filesystem::path& path);

// Files as given, folders as every *.gct beneath them (sorted). On a path that does not
// exist, prints an error and returns nullopt.
std::optional<std::vector<std::filesystem::path>> expand_trace_paths(
    const std::vector<std::string>& paths);

// The collectors `-c` patterns select (every non-mutant when there are none). On a pattern
// that matches nothing, prints why and returns nullopt.
std::optional<std::vector<const CollectorInfo*>> collectors_or_report(
    const std::vector<std::string>& patterns);
std::optional<std::vector<const CollectorInfo*>> collectors_or_report(
    const std::optional<std::string>& pattern);

// On an unknown name, prints the choices and returns nullopt.
std::optional<Policy> policy_or_report(const std::string& name);

// The model a command runs: the policy's own, or, given a collector, the one that collector
// is judged against. On an unknown policy or collector, prints why and returns nullopt.
std::optional<ModelOptions> model_options_or_report(const std::string& policy,
                                                    const std::optional<std::string>& collector);

// The spec coverage report of --coverage: the table on `out`, and the JSON written to
// `json_path` (atomically) when given. False, with one line on stderr, when it cannot be written.
bool report_coverage(const SpecCoverage& coverage, std::ostream& out,
                     const std::optional<std::string>& json_path);

}  // namespace gcfuzz
