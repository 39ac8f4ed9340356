// The one registry of collectors and mutants. It feeds the factory, `gcfuzz list`, the CLI's
// choices and the parameterized tests. It holds gcfuzz's own collectors (collectors/
// registry.cpp), then the collectors of the plugins loaded at start-up (gcfuzz --plugin,
// GCFUZZ_PLUGINS: harness/engine/plugins.h), in that order.
#pragma once

#include <deque>
#include <string_view>

#include "gcfuzz/collector.hpp"

namespace gcfuzz {

// Every collector and mutant, in registry order. Entries never move: a pointer to one stays
// valid for the life of the process.
const std::deque<CollectorInfo>& registry();
const CollectorInfo* find_collector(std::string_view name);

// Adds a collector (a plugin's) at the end. Its strings must live as long as the process.
// REQUIRES: no entry has its name.
const CollectorInfo& add_to_registry(CollectorInfo info);

}  // namespace gcfuzz
