// How GoogleTest prints gcfuzz values in failure messages and parameterized test names.
// Every test file includes this, so each type prints the same way everywhere.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/registry.h"
#include "gcfuzz/collector.hpp"
#include "gcfuzz/vocabulary.hpp"
#include "harness/trace/event_format.h"
#include "model/events.h"

namespace gcfuzz {

// The registered collectors that are not mutants, those whose name starts with `prefix`.
inline std::vector<const CollectorInfo*> real_collectors(std::string_view prefix = "") {
  std::vector<const CollectorInfo*> result;
  for (const CollectorInfo& c : registry()) {
    if (!c.is_mutant() && c.name.starts_with(prefix)) result.push_back(&c);
  }
  return result;
}

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

// A name as a GoogleTest parameter name: anything but letters and digits becomes '_'.
inline std::string test_name_of(std::string_view name) {
  std::string result(name);
  for (char& c : result) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return result;
}

// For suites parameterized over collectors: the collector's name.
inline std::string collector_test_name(const ::testing::TestParamInfo<const CollectorInfo*>& info) {
  return test_name_of(info.param->name);
}

}  // namespace gcfuzz
