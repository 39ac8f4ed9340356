// What one operation did, as the harness observes it (SPEC.md section 2).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gcfuzz/vocabulary.hpp"

namespace gcfuzz {

struct Events {
  std::vector<ObjectId> freed;
  std::vector<ObjectId> finalized;        // a multiset: twice in one op appears twice
  std::vector<ObjectId> garbage;          // appended to the garbage list
  std::vector<std::string> cleared;       // weak variables whose referent was cleared
  std::vector<std::string> callbacks;     // weak variables whose callback ran
  std::optional<std::int64_t> collected;  // only on `collect`

  // Events are compared as sets (lists sorted), never by order inside one op.
  void sort() {
    std::sort(freed.begin(), freed.end());
    std::sort(finalized.begin(), finalized.end());
    std::sort(garbage.begin(), garbage.end());
    std::sort(cleared.begin(), cleared.end());
    std::sort(callbacks.begin(), callbacks.end());
  }
  bool empty() const {
    return freed.empty() && finalized.empty() && garbage.empty() && cleared.empty() &&
           callbacks.empty() && !collected;
  }
  friend bool operator==(const Events&, const Events&) = default;
};

}  // namespace gcfuzz
