// Reference counting plus a CPython-style generational cycle collector ("trial deletion"):
// copy each count, subtract the references the examined objects hold among themselves;
// what keeps a positive count is referenced from outside and reachable, the rest is trash.
// Written from the algorithm (Modules/gcmodule.c describes the same steps), for the
// policies pep442, pep442-whole and legacy.
#pragma once

#include <cstdint>

#include "collectors/refcount/refcount_heap.h"

namespace gcfuzz::trial_deletion {

// Planted bugs (gcfuzz selftest must catch each).
enum class Bug : std::uint8_t {
  none,
  subtract_skips_last_slot,  // off by one: references in an object's last slot are not subtracted
  finalize_twice,            // the FINALIZED mark is not checked before finalizing trash
  forget_weak_reference,     // only the first weak reference to a trash object is cleared
  no_resurrection_check,     // trash is freed after finalizers without looking for resurrection
  legacy_without_closure,    // only the legacy objects are set aside, not what they reach
  young_scans_old,           // a young collection subtracts references held by old objects too
  partial_resurrection,      // pep442-whole frees the part of the trash nothing resurrected
  weakrefs_before_legacy_split,  // weak refs cleared before L is set aside: L's are lost too
};

class TrialDeletion final : public refcounting::RefcountHeap {
 public:
  TrialDeletion(Observer& observer, Policy policy, Bug bug);

  // One collection, as a list of named phases (each documented where it is defined).
  void collect(bool young) override;

 private:
  using Object = refcounting::Object;
  using ObjectList = refcounting::ObjectList;

  void update_refs(ObjectList& examined);
  void subtract_internal_refs(ObjectList& examined, bool young);
  void move_unreachable(ObjectList& examined, ObjectList& unreachable);
  void move_legacy_finalizers(ObjectList& unreachable, ObjectList& finalizers);
  void move_legacy_finalizer_reachable(ObjectList& finalizers);
  void handle_weak_references(ObjectList& unreachable);
  void finalize_trash(ObjectList& unreachable);
  void handle_resurrected(ObjectList& unreachable, ObjectList& still_unreachable);
  std::int64_t delete_garbage(ObjectList& collectable);
  std::int64_t handle_legacy_finalizers(ObjectList& finalizers);

  static void sort_by_id(ObjectList& list);
  // Between phases, when expensive checks are on: every object on `list` carries `flags`.
  static void validate_list(const ObjectList& list, std::uint8_t flags);

  const Bug bug_;
};

}  // namespace gcfuzz::trial_deletion
