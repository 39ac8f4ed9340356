// JSON forms of events and divergences: how a child process hands its result back, and the
// `--json` output of the commands.
#pragma once

#include "harness/isolation/layer.h"

#include <nlohmann/json.hpp>

#include "harness/engine/divergence.h"
#include "model/events.h"

namespace gcfuzz {

void to_json(nlohmann::json& j, const Events& e);
void from_json(const nlohmann::json& j, Events& e);
void to_json(nlohmann::json& j, const Divergence& d);
void from_json(const nlohmann::json& j, Divergence& d);

}  // namespace gcfuzz
