// Small things every verb needs: loading traces with `file:line:col` errors, finding the
// traces under a folder, reading a policy name.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/text.h"
#include "model/vocabulary.h"

namespace gcfuzz {

// Parses the file; on failure prints `file:line:col: message` to stderr.
std::optional<ParsedTrace> load_or_report(const std::filesystem::path& path);

// Files as given, folders as every *.gct beneath them (sorted). On a path that does not
// exist, prints an error and returns nullopt.
std::optional<std::vector<std::filesystem::path>> expand_trace_paths(
    const std::vector<std::string>& paths);

// On an unknown name, prints the choices and returns nullopt.
std::optional<Policy> policy_or_report(const std::string& name);

}  // namespace gcfuzz
