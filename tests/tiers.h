// The two test tiers (docs/testing.md): `make test` runs every test at full counts; `make
// check`, the fast tier, sets GCFUZZ_QUICK=1 and runs the tests labelled `check`, whose random
// properties then run at a tenth of their counts.
#pragma once

#include <cstdlib>
#include <string_view>

namespace gcfuzz {

inline bool quick_tier() {
  const char* quick = std::getenv("GCFUZZ_QUICK");
  return quick != nullptr && std::string_view(quick) != "" && std::string_view(quick) != "0";
}

// How many random cases a property runs: `full` in `make test`, a tenth of it in `make check`.
inline int property_count(int full) {
  return quick_tier() ? full / 10 : full;
}

}  // namespace gcfuzz
