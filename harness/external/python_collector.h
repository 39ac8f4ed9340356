// `python:<path>`: a real CPython interpreter as a collector, out of process. The trace runs
// through the `show --python` script in that interpreter (harness/external/cpython_oracle.h), and
// its events are compared with the model of the interpreter's policy (2.x legacy, 3.4-3.8
// pep442-whole, 3.9 and later pep442), op by op, and with the trace's expectations. Slow:
// for `replay` and `minimize`, not for fuzzing.
#pragma once

#include "harness/external/layer.h"

#include <string_view>
#include <vector>

#include "gcfuzz/collector.hpp"

namespace gcfuzz {

// The collector for `python:<path>`, or null when the pattern does not start with `python:`.
// A path that is not a runnable CPython gives an entry whose every run is a crash saying so.
const CollectorInfo* python_collector(std::string_view pattern);

// One `python:<path>` entry per interpreter find_interpreters() finds (for `gcfuzz list`).
std::vector<const CollectorInfo*> python_collectors_found();

}  // namespace gcfuzz
