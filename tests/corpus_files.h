// The traces of the regression corpus (corpus/**/*.gct), sorted: what the corpus tests walk.
#pragma once

#include <algorithm>
#include <filesystem>
#include <vector>

namespace gcfuzz {

inline std::vector<std::filesystem::path> corpus_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           std::filesystem::path(GCFUZZ_SOURCE_DIR) / "corpus")) {
    if (entry.is_regular_file() && entry.path().extension() == ".gct") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace gcfuzz
