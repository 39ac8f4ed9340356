// Writing files so that nothing is lost: a saved failure appears whole or not at all.
#pragma once

#include "harness/commands/layer.h"

#include <filesystem>
#include <string>

namespace gcfuzz {

// Writes `content` to a temporary file beside `path`, flushes it to disk, then renames it
// over `path`. Throws std::runtime_error on failure.
void write_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace gcfuzz
