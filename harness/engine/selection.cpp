// Collector selection by name or glob.
#include "harness/engine/selection.h"

#include <fnmatch.h>

#include <algorithm>

#include <fmt/format.h>

#include "collectors/registry.h"
#include "harness/engine/external_collectors.h"

namespace gcfuzz {

Selection select_collectors(const std::vector<std::string>& patterns, bool include_mutants) {
  Selection s;
  auto add = [&](const CollectorInfo& info) {
    if (std::find(s.collectors.begin(), s.collectors.end(), &info) == s.collectors.end()) {
      s.collectors.push_back(&info);
    }
  };
  if (patterns.empty()) {
    // Collectors in other processes only when named (each costs a process, and python: ones
    // a start-up per interpreter).
    for (const CollectorInfo& info : registry()) {
      if ((include_mutants || !info.is_mutant()) && !runs_out_of_process(info)) add(info);
    }
    return s;
  }
  for (const std::string& pattern : patterns) {
    // An out-of-process collector's pattern registers its collectors, and may select some.
    try {
      const std::vector<const CollectorInfo*> external = resolve_external(pattern);
      for (const CollectorInfo* c : external) add(*c);
      if (!external.empty()) continue;
    } catch (const ExternalError& e) {
      s.error = e.what();
      return s;
    }
    bool matched = false;
    for (const CollectorInfo& info : registry()) {
      const std::string name(info.name);
      const bool exact = name == pattern;
      const bool glob = pattern.find('*') != std::string::npos &&
                        ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0 &&
                        (include_mutants || !info.is_mutant());
      if (exact || glob) {
        add(info);
        matched = true;
      }
    }
    if (!matched) {
      s.error =
          fmt::format("no collector matches '{}' (gcfuzz list --mutants shows them all)", pattern);
      return s;
    }
  }
  return s;
}

}  // namespace gcfuzz
