// Shared helpers of the gcfuzz verbs.
#include "harness/commands/cli_support.h"

#include <algorithm>
#include <iostream>

#include "collectors/registry.h"
#include "gcfuzz/collector.hpp"
#include "harness/commands/save.h"
#include "harness/engine/runner.h"
#include "harness/engine/selection.h"

namespace gcfuzz {

std::optional<ParsedTrace> load_or_report(const std::filesystem::path& path) {
  ParseResult r = load_trace(path);
  if (r.error) {
    std::cerr << r.error->to_string() << "\n";
    return std::nullopt;
  }
  return std::move(r.parsed);
}

std::optional<std::vector<std::filesystem::path>> expand_trace_paths(
    const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      std::vector<std::filesystem::path> found;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(p, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".gct") {
          found.push_back(entry.path());
        }
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(p, ec)) {
      files.emplace_back(p);
    } else {
      std::cerr << p << ": no such file or folder\n";
      return std::nullopt;
    }
  }
  return files;
}

std::optional<Policy> policy_or_report(const std::string& name) {
  if (auto p = policy_from_name(name)) return p;
  std::cerr << "gcfuzz: unknown policy '" << name
            << "' (expected pep442, pep442-whole, legacy, java, boehm, lua)\n";
  return std::nullopt;
}

std::optional<ModelOptions> model_options_or_report(const std::string& policy,
                                                    const std::optional<std::string>& collector) {
  if (collector) {
    const CollectorInfo* info = find_collector(*collector);
    if (!info) {
      std::cerr << "gcfuzz: no collector named '" << *collector
                << "' (gcfuzz list --mutants shows them all)\n";
      return std::nullopt;
    }
    return model_options_for(info->capabilities);
  }
  const std::optional<Policy> p = policy_or_report(policy);
  if (!p) return std::nullopt;
  return ModelOptions{.policy = *p};
}

std::optional<std::vector<const CollectorInfo*>> collectors_or_report(
    const std::vector<std::string>& patterns) {
  Selection selection = select_collectors(patterns);
  if (!selection.error.empty()) {
    std::cerr << "gcfuzz: " << selection.error << "\n";
    return std::nullopt;
  }
  return std::move(selection.collectors);
}

std::optional<std::vector<const CollectorInfo*>> collectors_or_report(
    const std::optional<std::string>& pattern) {
  return collectors_or_report(pattern ? std::vector<std::string>{*pattern}
                                      : std::vector<std::string>{});
}

bool report_coverage(const SpecCoverage& coverage, std::ostream& out,
                     const std::optional<std::string>& json_path) {
  out << coverage.format_text();
  if (!json_path) return true;
  try {
    write_atomically(*json_path, nlohmann::json{{"schema", "gcfuzz-coverage/1"},
                                                {"configurations", coverage.to_json()}}
                                         .dump(2) +
                                     "\n");
  } catch (const std::exception& e) {
    std::cerr << "gcfuzz: --coverage-json: " << e.what() << "\n";
    return false;
  }
  return true;
}

}  // namespace gcfuzz
