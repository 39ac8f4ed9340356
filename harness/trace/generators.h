// RapidCheck generators of traces. Generation is state-aware (RapidCheck's state API): each
// op is drawn knowing which variables the trace has bound so far, so most ops name a bound
// variable and an in-range slot; shrinking removes ops and simplifies each one.
#pragma once

#include "harness/trace/layer.h"

#include <cstddef>

#include <rapidcheck.h>

#include "harness/trace/sizes.h"
#include "model/ops.h"

namespace gcfuzz {

struct GeneratorOptions {
  int strong_names = 6;               // a, b, c, ... (at most 22: a..v)
  int weak_names = 3;                 // w0, w1, ...
  HeapShape heap = HeapShape::mixed;  // payload sizes and allocation bursts (sizes.h)
};

// Traces of 1 to size+1 ops (RapidCheck's size parameter bounds the length).
rc::Gen<Trace> trace_generator(GeneratorOptions options = {});

}  // namespace gcfuzz
