// `gcfuzz show --python`: a runnable Python script (2.7 and 3.x) that performs a trace in
// CPython and prints, per op, the same JSON events as `gcfuzz model --json`.
#pragma once

#include "harness/external/layer.h"

#include <string>
#include <string_view>

#include "model/ops.h"

namespace gcfuzz {

std::string python_script(const Trace& trace);

// gcfuzz's CPython adapter (adapters/python/cpython_adapter.py, built in): the protocol loop of
// `python:PATH` (docs/protocol.md), whose first part is python_script's prelude.
std::string_view cpython_adapter_source();

}  // namespace gcfuzz
