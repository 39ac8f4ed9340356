// How events are written: one JSON object per op (`model --json`, `show --python`, replay),
// and a short human form for divergence reports.
#pragma once

#include "harness/trace/layer.h"

#include <cstddef>
#include <string>

#include "model/events.h"
#include "model/ops.h"

namespace gcfuzz {

// {"op": 6, "text": "collect", "freed": [0, 1], "finalized": [0], "garbage": [],
//  "cleared": ["w"], "callbacks": ["w"], "collected": 2}   (on one line; `collected` only
// on `collect`). REQUIRES: events sorted.
std::string events_json(std::size_t index, const Op& op, const Events& events);

// `freed @0 @1, finalized @0, collected 2`, or `nothing` when no event happened.
std::string describe(const Events& events);

std::string at(ObjectId id);  // `@3`

}  // namespace gcfuzz
