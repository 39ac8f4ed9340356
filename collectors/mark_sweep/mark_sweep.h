// A precise, non-moving mark-sweep collector for the tracing policies (SPEC.md 3.4 java and
// 3.5 boehm): mark from the roots with an explicit stack, keep finalizable trash and what it
// reaches, sweep the rest into ObjectMemory's size-class free lists, then run finalizers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "collectors/heap_memory.h"
#include "collectors/tracing/tracing_heap.h"
#include "gcfuzz/collector.hpp"

namespace gcfuzz::mark_sweep {

// An object: this header, then `slot_count` object pointers.
//
// Flag encodings, documented once:
// - `flags`: kFinalized, the finalizer has run (it never runs again, resurrected or not).
// - `mark`: scratch for one collection, 0 between collections. kReachable: reached from the
//   roots. kKept: trash kept alive for finalization (the set K of SPEC.md 3.4); under boehm,
//   a finalizable object that gets kKept while marking from the contents of the finalizable
//   set is reached by another finalizable object and must wait.
// - `prev`/`next`: the object's place on the list of every allocated, not yet freed object,
//   which the sweep and HeapView::for_each_object walk.
struct Object {
  static constexpr std::uint8_t kFinalized = 1;
  static constexpr std::uint8_t kReachable = 1, kKept = 2;

  ObjectId id;
  std::uint8_t slot_count;
  Finalizer fin;
  std::uint8_t flags;
  std::uint8_t mark;
  std::uint32_t payload;
  Object* prev;
  Object* next;

  Object** slots() { return reinterpret_cast<Object**>(this + 1); }
  Object* const* slots() const { return reinterpret_cast<Object* const*>(this + 1); }
  bool is_marked() const { return mark != 0; }
};
static_assert(sizeof(Object) % alignof(Object*) == 0);

// Planted bugs (gcfuzz selftest must catch each).
enum class Bug : std::uint8_t {
  none,
  mark_skips_last_slot,     // off by one in the mark loop: an object's last slot is not traced
  clear_only_freed_weak,    // weak references to finalizable survivors (K) are not cleared
  finalize_again,           // the FINALIZED mark is not checked: resurrected objects finalize again
  unordered_finalization,   // boehm runs every finalizable object's finalizer (the java rule)
  freed_stays_listed,       // sweep reports an object freed but leaves it on the object list
  size_class_rounded_down,  // an object's block size is rounded down to its size class, not up
};

// The mutator ops, roots and finalizer effects come from TracingHeap; this class adds the
// object list and the collection.
class MarkSweep final : public tracing::TracingHeap<Object> {
 public:
  // REQUIRES: policy is java or boehm.
  MarkSweep(Observer& observer, Policy policy, Bug bug);
  ~MarkSweep() override;

  // Not generational: `collect young` is a full collection.
  void collect(bool young) override;

 private:
  // The phases of one collection (each documented where it is defined).
  void mark_from_roots();
  void clear_weak_references();
  std::vector<Object*> find_finalizable() const;
  std::vector<Object*> mark_finalizer_reachable(const std::vector<Object*>& finalizable);
  std::int64_t sweep();

  // Marks `mark` on every unmarked object `work` leads to (work list, no recursion).
  void mark_closure(std::vector<Object*>& work, std::uint8_t mark);

  Object* allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) override;
  std::size_t block_bytes(std::size_t bytes) const;
  void free_object(Object* o);

  // HeapView: the object list.
  void for_each_object(const std::function<void(Ref)>& f) const override;

  const Policy policy_;
  const Bug bug_;
  ObjectMemory memory_;
  Object* objects_ = nullptr;  // head of the list of every object not yet freed
};

}  // namespace gcfuzz::mark_sweep
