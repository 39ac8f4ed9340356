// `gcfuzz show --python`: a runnable Python script (2.7 and 3.x) that performs a trace in
// CPython and prints, per op, the same JSON events as `gcfuzz model --json`.
#pragma once

#include "harness/external/layer.h"

#include <string>

#include "model/ops.h"

namespace gcfuzz {

std::string python_script(const Trace& trace);

}  // namespace gcfuzz
