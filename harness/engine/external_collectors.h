// Collectors that run in another process: an adapter speaking the line protocol
// (docs/protocol.md), a real CPython interpreter (`python:<path>`). They are in the registry
// like any other, and a Lane drives them like any other; but they are isolated already, so the
// harness runs their lanes in its own process instead of forking for them. The command line
// installs a resolver that turns a `-c` pattern into such collectors; the fuzz targets install
// none.
#pragma once

#include "harness/engine/layer.h"

#include <functional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "gcfuzz/collector.hpp"

namespace gcfuzz {

// Marks a registered collector as one that runs out of process.
void mark_out_of_process(const CollectorInfo& collector);
bool runs_out_of_process(const CollectorInfo& collector);

// Turns a pattern into the collectors it names (registering them), or returns an empty list
// (the pattern is not one). Throws ExternalError when the pattern is one but its collectors
// cannot be had (an adapter that cannot be started, say).
using ExternalResolver = std::function<std::vector<const CollectorInfo*>(std::string_view pattern)>;
void set_external_resolver(ExternalResolver resolver);
std::vector<const CollectorInfo*> resolve_external(std::string_view pattern);

// An out-of-process collector that cannot be used, with a one-line message.
class ExternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a collector's op may throw besides a plain exception (a crash, for the checker):
// - the collector did not answer in time (check `timeout`);
class CollectorTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// - the collector cannot express the op (a finalizer kind its runtime lacks): the trace ends
//   there for it, not judged further, and not a divergence.
class OpUnsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace gcfuzz
