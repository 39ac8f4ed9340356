// The second half of a reference-counting cycle collector, shared by every algorithm that
// finds trash (trial deletion, Bacon-Rajan): given the trash U, set aside legacy finalizers
// and what they reach (L), clear weak references, run PEP 442 finalizers, handle
// resurrection, break the remaining cycles, and append L's legacy finalizers to `garbage`
// (SPEC.md 3.1 to 3.3, steps 2 to 6).
#pragma once

#include <cstdint>

#include "collectors/refcount/refcount_heap.h"

namespace gcfuzz::refcounting {

// Planted bugs of the trash-handling phases (gcfuzz selftest must catch each).
enum class TrashBug : std::uint8_t {
  none,
  finalize_twice,                // the FINALIZED mark is not checked before finalizing trash
  forget_weak_reference,         // only the first weak reference to a trash object is cleared
  no_resurrection_check,         // trash is freed after finalizers without looking for resurrection
  legacy_without_closure,        // only the legacy objects are set aside, not what they reach
  partial_resurrection,          // pep442-whole frees the part of the trash nothing resurrected
  weakrefs_before_legacy_split,  // weak refs cleared before L is set aside: L's are lost too
};

class CycleCollectingHeap : public RefcountHeap {
 protected:
  CycleCollectingHeap(Observer& observer, Policy policy, TrashBug trash_bug);

  // Handles the trash a collection found. REQUIRES: `unreachable` holds exactly the trash,
  // each object flagged Object::kUnreachable; gc_flags is 0 on every other object.
  // ENSURES: the lists are empty or merged back into the generations; returns the value
  // `collect` reports.
  std::int64_t collect_trash(ObjectList& unreachable);

  // Between phases, when expensive checks are on: every object on `list` carries `flags`.
  static void validate_list(const ObjectList& list, std::uint8_t flags);

 private:
  void move_legacy_finalizers(ObjectList& unreachable, ObjectList& finalizers);
  void move_legacy_finalizer_reachable(ObjectList& finalizers);
  void handle_weak_references(ObjectList& unreachable);
  void finalize_trash(ObjectList& unreachable);
  void handle_resurrected(ObjectList& unreachable, ObjectList& still_unreachable);
  std::int64_t delete_garbage(ObjectList& collectable);
  std::int64_t handle_legacy_finalizers(ObjectList& finalizers);
  static void sort_by_id(ObjectList& list);

  const TrashBug trash_bug_;
};

}  // namespace gcfuzz::refcounting
