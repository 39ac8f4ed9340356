// Collectors that are not compiled in: a real interpreter run out of process
// (`python:<path>`), say. They run a whole trace at once and report per-op events, so the
// harness compares their events with the model op by op (no HeapView: no integrity or
// reference-count checks). The command line installs a resolver that turns a `-c` pattern
// into such a collector; the fuzz targets install none.
#pragma once

#include "harness/engine/layer.h"

#include <functional>
#include <string>
#include <string_view>

#include "gcfuzz/collector.hpp"
#include "harness/engine/runner.h"

namespace gcfuzz {

using ExternalRun = std::function<LaneResult(const Trace&, const CollectorInfo&)>;

// Registers a collector for the life of the process and returns its entry, which stays
// valid. Registering a name twice returns the first entry.
const CollectorInfo& add_external_collector(std::string name, std::string summary,
                                            Capabilities capabilities, std::string origin,
                                            ExternalRun run);
// The run of an external collector; null for a compiled-in one.
const ExternalRun* external_run(const CollectorInfo& collector);

// Turns a pattern into an external collector, or returns null (the pattern is not one).
using ExternalResolver = std::function<const CollectorInfo*(std::string_view pattern)>;
void set_external_resolver(ExternalResolver resolver);
const CollectorInfo* resolve_external(std::string_view pattern);

}  // namespace gcfuzz
