// How GoogleTest prints gcfuzz values in failure messages and parameterized test names.
// Every test file includes this, so each type prints the same way everywhere.
#pragma once

#include <ostream>

#include "collectors/api.h"
#include "harness/event_format.h"
#include "model/events.h"
#include "model/vocabulary.h"

namespace gcfuzz {

inline void PrintTo(const Events& events, std::ostream* os) {
  *os << describe(events);
}
inline void PrintTo(ObjectId id, std::ostream* os) {
  *os << at(id);
}
inline void PrintTo(Policy policy, std::ostream* os) {
  *os << name_of(policy);
}
inline void PrintTo(const CollectorInfo* collector, std::ostream* os) {
  *os << collector->name;
}

}  // namespace gcfuzz
