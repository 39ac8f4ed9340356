// An incremental tri-color mark-sweep collector for the java policy (SPEC.md 3.4): marking
// advances a few objects per mutator op behind a Dijkstra insertion barrier, restarts when
// a reference to a marked object is deleted (so it leaves no floating garbage and stays
// exact), and `collect` finishes the mark, then sweeps and finalizes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "collectors/heap_memory.h"
#include "collectors/tracing/tracing_heap.h"
#include "gcfuzz/collector.hpp"

namespace gcfuzz::incremental {

// Planted bugs (gcfuzz selftest must catch each).
enum class Bug : std::uint8_t {
  none,
  deref_without_barrier,   // deref puts a white referent in a variable without shading it
  allocate_white,          // objects allocated during marking are white instead of black
  no_restart_on_deletion,  // deleting a reference to a marked object does not restart the mark
};

enum class Color : std::uint8_t { grey, black };

// An object: this header, then `slot_count` object pointers.
//
// Flag encodings, documented once:
// - `flags`: kFinalized, the finalizer has run (java finalizes at most once).
// - Colors: an object is white unless `colored_in` is the current marking epoch, and then it
//   is `color`. Starting or restarting a cycle advances the epoch, which whitens every
//   object at once (no pass over the heap).
struct Object {
  static constexpr std::uint8_t kFinalized = 1;

  ObjectId id;
  std::uint8_t slot_count;
  Finalizer fin;
  std::uint8_t flags;
  Color color;
  std::uint32_t payload;
  std::uint64_t colored_in;

  Object** slots() { return reinterpret_cast<Object**>(this + 1); }
  Object* const* slots() const { return reinterpret_cast<Object* const*>(this + 1); }
};

// The design, and why it is exact.
//
// The collector is paused when constructed and after each collection (as Lua's is after a
// sweep); the next op starts a cycle by shading every root target grey (strong variables,
// `revived`, `garbage`). Every op then earns some marking work (an alloc more: allocation
// paces marking) and spends it scanning grey objects, so mutator ops run against an
// unfinished mark. `collect` scans what is still grey, sweeps and runs the finalizers; they
// run between cycles, so nothing they do needs a barrier. Inside a cycle, after every op:
//   (I1) no black object refers to a white one (the strong tri-color invariant);
//   (I2) every root target is grey or black;
//   (I3) every marked (grey or black) object is reached from a root by a path of marked
//        objects only.
// How each rule keeps them:
// - Dijkstra's insertion barrier shades an existing object that is stored into a slot
//   (link) or into a variable (copy, load, deref) if it is white: (I1), (I2). The alloc
//   finalizer's store goes through it too, but between cycles, where it does nothing.
//   Roots are never rescanned; (I2) is what makes that safe. A link's or a copy's source
//   is a root target, non-white by (I2), so only load (from a grey holder's unscanned
//   slot) and deref (of an object held only weakly, or only through white objects) ever
//   shade anything. The object they shade sits in a root: (I3).
// - A new object is allocated black: it is stored in a variable, holds no references yet,
//   and the variables were shaded when the cycle started. `alloc` needs no barrier.
// - Deleting a reference to a marked object (a slot overwritten or unlinked, a variable
//   overwritten or dropped, a list cleared) may cut the last marked path to it, so the
//   cycle restarts: every object turns white and the roots are shaded again. Deleting a
//   reference to a white object cuts no marked path, as such paths hold marked objects
//   only: (I3) still holds, nothing to do. (An object reached only through white objects
//   is white itself, by (I3); cutting that path leaves it white, and it is swept.)
// At `collect`, once the grey set is empty, black is closed under references and holds
// every root target (I1, I2), so it holds everything reachable; by (I3) it holds nothing
// else. Black is exactly the reachable set and white exactly the trash U: no floating
// garbage, which the java model requires (it frees all of U at once).
// What the restart costs: shading the roots again (a new epoch whitens the heap in O(1)),
// and the marking done so far. A mutator that keeps deleting references to marked objects
// keeps the mark near its roots, and `collect` then does most of the mark in its pause.
//
// The mutator ops, roots and finalizer effects come from TracingHeap; this class adds the
// marking, which it paces and guards through TracingHeap's hooks: `before_op` (start a
// cycle, mark a step), `slot_stored` and `root_stored` (the barrier, and allocating black),
// `references_deleted` (the restart), `after_op` (the validator).
class Incremental final : public tracing::TracingHeap<Object> {
 public:
  Incremental(Observer& observer, Bug bug);

  // Not generational: `collect young` is a full collection.
  void collect(bool young) override;

 private:
  // Marking work, in units: each mutator op earns kWorkPerOp, an alloc kWorkPerAlloc
  // (allocation paces marking); scanning an object costs units for its header and for each
  // slot. Tuned so that about a third of the mutator ops of random traces (1-64 ops, a
  // handful of live objects) run against an unfinished mark; scanning one object per op
  // left a tenth, and a barrier bug has no effect once the mark is done.
  static constexpr int kWorkPerOp = 1;
  static constexpr int kWorkPerAlloc = 2;
  static constexpr int kWorkPerObject = 2;
  static constexpr int kWorkPerSlot = 2;
  static std::int64_t scan_cost(const Object* o) {
    return kWorkPerObject + kWorkPerSlot * std::int64_t{o->slot_count};
  }

  // ---- Marking ----
  bool is_white(const Object* o) const { return o->colored_in != epoch_; }
  bool is_marked(const Object* o) const { return !is_white(o); }
  void color(Object* o, Color c);
  void shade(Object* o);  // white -> grey, onto the grey set
  void start_marking();   // a new epoch; every root target shaded
  void mark_step(int work);
  void scan(Object* o);
  // The insertion barrier, on an existing object being stored.
  void write_barrier(Object* stored);
  void restart_marking();

  // ---- TracingHeap's hooks ----
  void before_op(tracing::MutatorOp op) override;
  void slot_stored(Object* holder, Object* value, tracing::StoredBy by) override;
  void root_stored(Object* value, tracing::MutatorOp op) override;
  void references_deleted(std::span<Object* const> targets) override;
  void after_op() override;

  // ---- Collection phases ----
  void finish_marking();
  std::vector<Object*> keep_finalizable_trash();
  std::int64_t sweep();

  // Between ops, when expensive checks are on: (I1)-(I3) and the grey set's consistency.
  void validate_marking() const;

  Object* allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) override;

  // HeapView: every object not yet freed.
  void for_each_object(const std::function<void(Ref)>& f) const override;

  const Bug bug_;
  ObjectMemory memory_;
  std::vector<Object*> objects_;  // every object not yet freed

  // A cycle is in progress; false when constructed and after a collection, until the
  // next op starts one (every mutator op runs inside a cycle).
  bool marking_ = false;
  std::uint64_t epoch_ = 0;  // objects start white: colored_in 0 is never current
  std::vector<Object*> grey_;
  std::int64_t work_credit_ = 0;  // units earned and not yet spent on scanning
};

}  // namespace gcfuzz::incremental
