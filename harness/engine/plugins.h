// Collectors from plugins (include/gcfuzz/plugin.h): a shared object loaded with dlopen, or a
// table linked into the program (a fuzz target built with its plugin). The table is checked
// whole before anything is registered; then each of its collectors joins the registry, and
// every verb treats it like one of gcfuzz's own.
#pragma once

#include "harness/engine/layer.h"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gcfuzz/plugin.h"

namespace gcfuzz {

// A plugin that cannot be used, with a one-line message naming the plugin and what is wrong.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads the plugin at `path` and registers its collectors. Throws PluginError.
void load_plugin(const std::string& path);

// Checks `table` and registers its collectors; `source` names it in messages (a path, or
// "linked in"). Throws PluginError.
void register_plugin_table(const gcfuzz_plugin_table* table, std::string_view source);

// The plugins named by the environment variable GCFUZZ_PLUGINS (paths separated by `:`), then
// `paths`, each loaded once, in that order. Throws PluginError.
void load_plugins(const std::vector<std::string>& paths);

}  // namespace gcfuzz
