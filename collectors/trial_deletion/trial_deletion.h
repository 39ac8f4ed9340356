// Reference counting plus a CPython-style generational cycle collector ("trial deletion"):
// copy each count, subtract the references the examined objects hold among themselves;
// what keeps a positive count is referenced from outside and reachable, the rest is trash.
// Written from the algorithm (Modules/gcmodule.c describes the same steps), for the
// policies pep442, pep442-whole and legacy.
#pragma once

#include <cstdint>

#include "collectors/refcount/cycle_collecting_heap.h"

namespace gcfuzz::trial_deletion {

// Planted bugs of the trial deletion itself (gcfuzz selftest must catch each); the phases
// after it have their own (refcounting::TrashBug).
enum class Bug : std::uint8_t {
  none,
  subtract_skips_last_slot,  // off by one: references in an object's last slot are not subtracted
  young_scans_old,           // a young collection subtracts references held by old objects too
};

class TrialDeletion final : public refcounting::CycleCollectingHeap {
 public:
  TrialDeletion(Observer& observer, Policy policy, Bug bug, refcounting::TrashBug trash_bug);

  // One collection, as a list of named phases (each documented where it is defined).
  void collect(bool young) override;

 private:
  using Object = refcounting::Object;
  using ObjectList = refcounting::ObjectList;

  void update_refs(ObjectList& examined);
  void subtract_internal_refs(ObjectList& examined, bool young);
  void move_unreachable(ObjectList& examined, ObjectList& unreachable);

  const Bug bug_;
};

}  // namespace gcfuzz::trial_deletion
