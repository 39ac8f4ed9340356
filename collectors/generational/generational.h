// A generational tracing collector for the java policy (SPEC.md 3.4 and section 4): a
// copying nursery whose survivors are promoted into a mark-sweep old space, and a write
// barrier that keeps a remembered set of old objects which may point into the nursery.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "collectors/generational/nursery.h"
#include "collectors/heap_memory.h"
#include "collectors/tracing/tracing_heap.h"
#include "gcfuzz/collector.hpp"

namespace gcfuzz::generational {

// An object: this header, then `slot_count` object pointers. A young object lives in the
// nursery; promotion copies it, header and slots, into the old space, keeping its id.
//
// Flag encodings, documented once:
// - `flags`: kFinalized: the finalizer has run (java finalizes at most once; the mark is
//   copied on promotion).
// - `gc_bits`: kYoung: this copy lives in the nursery (a promoted copy never has it).
//   kMarked: a full collection found the object reachable or kept it for its finalizer;
//   scratch, clear between collections. kRemembered: an old object on the remembered set.
// - `forwarding`: for a nursery object the current collection has promoted, its old-space
//   copy; null otherwise. Read only during that collection: the nursery is poisoned after.
struct Object {
  static constexpr std::uint8_t kFinalized = 1;
  static constexpr std::uint8_t kYoung = 1, kMarked = 2, kRemembered = 4;

  ObjectId id;
  std::uint8_t slot_count;
  Finalizer fin;
  std::uint8_t flags;
  std::uint8_t gc_bits;
  std::uint32_t payload;
  Object* forwarding;

  bool is_young() const { return gc_bits & kYoung; }
  Object** slots() { return reinterpret_cast<Object**>(this + 1); }
  Object* const* slots() const { return reinterpret_cast<Object* const*>(this + 1); }
  // The block: header, slots, payload, rounded up to the nursery's alignment.
  static std::size_t bytes_for(int slots, std::uint32_t payload) {
    const std::size_t raw = sizeof(Object) + slots * sizeof(Object*) + payload;
    return (raw + Nursery::kAlignment - 1) / Nursery::kAlignment * Nursery::kAlignment;
  }
  std::size_t bytes() const { return bytes_for(slot_count, payload); }
};
static_assert(sizeof(Object) % Nursery::kAlignment == 0);

// Planted bugs (gcfuzz selftest must catch each).
enum class Bug : std::uint8_t {
  none,
  no_barrier_in_finalizer,     // the `alloc` finalizer's store into slot 0 skips the write barrier
  unscanned_promotions,        // a minor collection promotes what the roots and the remembered
                               // set reach, but never scans the promoted copies' slots
  stale_weak_after_promotion,  // weak references to promoted objects are not forwarded
  large_block_off_by_one,      // the nursery bumps a block one alignment unit past its chunk
                               // size into an ordinary chunk, which it overruns
};

// The mutator ops, roots and finalizer effects come from TracingHeap; this class adds the
// two spaces, the write barrier and the collection.
class Generational final : public tracing::TracingHeap<Object> {
 public:
  Generational(Observer& observer, Bug bug);

  // One collection, minor (`young`) or full, as a list of named phases (each documented
  // where it is defined).
  void collect(bool young) override;

 private:
  // The scratch state of one collection.
  struct Tracing {
    bool full;                         // a full collection marks the old space too
    std::vector<Object*> to_scan;      // promoted or marked, slots not yet traced
    std::vector<Object*> finalizable;  // F, by current address once kept
  };

  // ---- Collection phases ----
  void trace_roots(Tracing& t);
  void trace_remembered_set(Tracing& t);
  void scan(Tracing& t);
  void handle_weak_references(Tracing& t);
  void find_finalizable_trash(Tracing& t);
  void keep_finalizable(Tracing& t);
  void forget_remembered_set();
  std::int64_t free_trash(const Tracing& t);

  // ---- Tracing helpers ----
  void trace_reference(Tracing& t, Object*& ref);
  Object* promote(Tracing& t, Object* young);
  static bool survives(const Tracing& t, const Object* o);

  // ---- Mutator side: allocation and the write barrier (TracingHeap's hooks) ----
  Object* allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) override;
  void slot_stored(Object* holder, Object* value, tracing::StoredBy by) override;
  void remember(Object* holder);

  // Aborts with a message if the heap's bookkeeping is off (expensive checks only).
  void validate_between_collections() const;

  // ---- HeapView: the old space, then the nursery ----
  void for_each_object(const std::function<void(Ref)>& f) const override;

  template <class F>
  void for_each_young(F&& f) const {
    nursery_.for_each_block(
        [](const void* block) { return static_cast<const Object*>(block)->bytes(); },
        [&](void* block) { f(static_cast<Object*>(block)); });
  }

  const Bug bug_;
  Nursery nursery_;
  ObjectMemory old_memory_;
  std::vector<Object*> old_objects_;  // every object of the old space: the sweep's list
  std::vector<Object*> remembered_;   // old objects flagged kRemembered
};

}  // namespace gcfuzz::generational
