// The heap reachable from the roots, by id: what the integrity check compares (SPEC.md
// section 5 item 2). The model builds one directly; the harness reads one back through
// each collector's HeapView.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gcfuzz/vocabulary.hpp"

namespace gcfuzz {

struct HeapGraph {
  std::map<std::string, ObjectId> variables;            // bound, non-null strong variables
  std::map<std::string, std::optional<ObjectId>> weak;  // bound weak variables; nullopt: cleared
  std::vector<ObjectId> revived;  // sorted: list order is not part of the semantics
  std::vector<ObjectId> garbage;  // sorted
  std::map<ObjectId, std::vector<std::optional<ObjectId>>> objects;  // reachable: their slots

  friend bool operator==(const HeapGraph&, const HeapGraph&) = default;
};

}  // namespace gcfuzz
