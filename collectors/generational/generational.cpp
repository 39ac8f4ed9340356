// The generational collector (copying nursery, mark-sweep old space, remembered set) and
// its registration.
//
// The write barrier keeps a remembered set, not a card table: the old space is made of
// ObjectMemory's size-class blocks spread over many chunks, so there is no contiguous range
// for cards to cover, and an object-granular set is exact: a minor collection scans the
// slots of just the old objects that were stored into, never the old space itself.
#include "collectors/generational/generational.h"
#include "collectors/checks.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace gcfuzz::generational {

namespace {

[[noreturn]] void invariant_broken(const char* what, const Object* o) {
  std::fprintf(stderr, "generational: object @%u: %s\n", o->id.value, what);
  std::abort();
}

}  // namespace

// The mutant's nursery gives a chunk of its own only to blocks past one alignment unit more
// than a chunk: a block of kChunkSize + kAlignment bytes is bumped into an ordinary chunk.
Generational::Generational(Observer& observer, Bug bug)
    : TracingHeap(observer),
      bug_(bug),
      nursery_(16, bug == Bug::large_block_off_by_one ? Nursery::kChunkSize + Nursery::kAlignment
                                                      : Nursery::kChunkSize) {}

// ---- The collection ----

// Contracts between phases:
// - after phase 1, every nursery object that a root (or, in a minor collection, an old
//   object) reaches has a forwarding copy in the old space, and every reference to it held
//   by a root, a remembered object or a promoted copy names the copy. In a full collection
//   every old object reached is kMarked. What is neither forwarded nor marked is U, the
//   trash (in a minor collection only nursery objects can be trash);
// - after phase 3 the same holds with "reached from the roots or from F": K has survived;
// - after phase 5 the old space holds exactly the survivors, unmarked, and the nursery is
//   empty and poisoned, so no pointer into it may remain anywhere.
void Generational::collect(bool young) {
  if constexpr (kExpensiveChecks) validate_between_collections();
  Tracing t{.full = !young, .to_scan = {}, .finalizable = {}};
  // 1. What the roots reach survives.
  trace_roots(t);
  if (young) trace_remembered_set(t);
  scan(t);
  // 2. Weak references into U are cleared and their callbacks run; the others follow
  //    their referent to its new address.
  handle_weak_references(t);
  // 3. F (trash with a finalizer that never ran) and what it reaches survive too.
  find_finalizable_trash(t);
  keep_finalizable(t);
  // 4. Every old object that pointed into the nursery now points to promoted copies.
  forget_remembered_set();
  // 5. U minus K is freed; the nursery is emptied and poisoned.
  const std::int64_t freed = free_trash(t);
  nursery_.retire();
  // 6. F's finalizers run, in id order, on the survivors' new addresses. What they
  //    allocate goes to the fresh nursery: young, as SPEC.md section 4 says.
  run_finalizers(t.finalizable);
  end_collection(freed);
}

// Roots: strong variables and the two lists. Weak variables are not roots.
void Generational::trace_roots(Tracing& t) {
  for_each_root([&](Object*& o) { trace_reference(t, o); });
}

// In a minor collection, references from old objects into the nursery are roots. The write
// barrier put every old object that may hold one on the remembered set, so these slots are
// all there is to look at: the old space is not scanned. An old object counts whether or not
// it is itself reachable (a minor collection cannot tell), as SPEC.md section 4 says.
void Generational::trace_remembered_set(Tracing& t) {
  for (Object* holder : remembered_) {
    for (int i = 0; i < holder->slot_count; ++i) trace_reference(t, holder->slots()[i]);
  }
}

// The scan of what was promoted or marked (Cheney's scan, with an explicit work list since
// promoted copies are not contiguous): each object's slots are traced in turn, which may
// promote or mark more. A work list, not recursion: chains are a million objects long.
void Generational::scan(Tracing& t) {
  if (!t.full && bug_ == Bug::unscanned_promotions) {
    // The planted bug: the minor collection forgets its to-space scan, so what the roots
    // reach only through other young objects is left behind, and promoted copies keep
    // pointers into the nursery.
    t.to_scan.clear();
    return;
  }
  while (!t.to_scan.empty()) {
    Object* o = t.to_scan.back();
    t.to_scan.pop_back();
    for (int i = 0; i < o->slot_count; ++i) trace_reference(t, o->slots()[i]);
  }
}

// Weak references never keep their referent: one into U is cleared (all are cleared before
// any callback runs), one to a promoted object is updated to the copy.
void Generational::handle_weak_references(Tracing& t) {
  clear_weak_references_to_trash([&](Object* r) -> Object* {
    if (!survives(t, r)) return nullptr;
    return r->is_young() && bug_ != Bug::stale_weak_after_promotion ? r->forwarding : r;
  });
}

// F: the trash whose finalizer never ran. In a minor collection only the nursery can hold
// trash; in a full collection, the old space too (whatever the marking left unmarked).
void Generational::find_finalizable_trash(Tracing& t) {
  for_each_young([&](Object* o) {
    if (o->forwarding == nullptr && has_unrun_finalizer(o)) t.finalizable.push_back(o);
  });
  if (!t.full) return;
  for (Object* o : old_objects_) {
    if (!(o->gc_bits & Object::kMarked) && has_unrun_finalizer(o)) t.finalizable.push_back(o);
  }
}

// K: F and everything F reaches are kept for the finalizers, promoted or marked like the
// reachable objects. Afterwards `finalizable` holds the objects' current addresses.
void Generational::keep_finalizable(Tracing& t) {
  for (Object*& o : t.finalizable) trace_reference(t, o);
  scan(t);
}

// After a collection nothing is left in the nursery, so no old object points into it.
void Generational::forget_remembered_set() {
  for (Object* o : remembered_) o->gc_bits &= ~Object::kRemembered;
  remembered_.clear();
}

// Reports every object of U minus K freed and returns how many there were. Nursery trash
// is simply left behind (the nursery is retired next); old trash is swept back to the old
// space's free lists, and the marks of the survivors are cleared.
std::int64_t Generational::free_trash(const Tracing& t) {
  std::int64_t freed = 0;
  for_each_young([&](Object* o) {
    if (o->forwarding != nullptr) return;
    observer_.freed(o->id);
    ++freed;
  });
  if (!t.full) return freed;
  std::size_t kept = 0;
  for (Object* o : old_objects_) {
    if (o->gc_bits & Object::kMarked) {
      o->gc_bits &= ~Object::kMarked;
      old_objects_[kept++] = o;
      continue;
    }
    observer_.freed(o->id);
    ++freed;
    old_memory_.release(o, o->bytes());
  }
  old_objects_.resize(kept);
  return freed;
}

// ---- Tracing helpers ----

// Makes `ref` name its referent's surviving copy. A nursery object is promoted the first
// time it is reached (later references follow its forwarding pointer); in a full
// collection an old object is marked. Either way it joins the scan list once.
void Generational::trace_reference(Tracing& t, Object*& ref) {
  Object* o = ref;
  if (o == nullptr) return;
  if (o->is_young()) {
    ref = o->forwarding != nullptr ? o->forwarding : promote(t, o);
    return;
  }
  if (!t.full || (o->gc_bits & Object::kMarked)) return;
  o->gc_bits |= Object::kMarked;
  t.to_scan.push_back(o);
}

// Copies a nursery object, header and slots, into the old space. The copy's slots still
// name nursery objects until it is scanned. In a full collection the copy is marked, so the
// sweep keeps it.
Object* Generational::promote(Tracing& t, Object* young) {
  const std::size_t bytes = young->bytes();
  auto* copy = static_cast<Object*>(old_memory_.allocate(bytes));
  std::memcpy(static_cast<void*>(copy), young, bytes);
  copy->gc_bits = t.full ? Object::kMarked : 0;
  copy->forwarding = nullptr;
  young->forwarding = copy;
  old_objects_.push_back(copy);
  t.to_scan.push_back(copy);
  return copy;
}

// Whether `o` (as it was before the collection moved anything) has survived so far.
bool Generational::survives(const Tracing& t, const Object* o) {
  if (o->is_young()) return o->forwarding != nullptr;
  return !t.full || (o->gc_bits & Object::kMarked);
}

// ---- Mutator side ----

// Every new object is young: the mutator's and an `alloc` finalizer's alike.
Object* Generational::allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) {
  Object* o =
      init_object(nursery_.allocate(Object::bytes_for(slots, payload)), slots, fin, payload, id);
  o->gc_bits = Object::kYoung;
  return o;
}

// The write barrier, on every store into a slot, the mutator's and the runtime's (the
// `alloc` finalizer) alike: an old object that now points into the nursery goes on the
// remembered set, once. Stores into young objects, and of old values, need no record: a
// minor collection traces young objects anyway, and only pointers into the nursery must be
// found. (Nulls never get here.)
void Generational::slot_stored(Object* holder, Object* value, tracing::StoredBy by) {
  if (by == tracing::StoredBy::finalizer && bug_ == Bug::no_barrier_in_finalizer) {
    // The planted bug: the runtime's own store bypasses the barrier. The holder was just
    // promoted (or was old already), so an old-to-young pointer goes unrecorded.
    return;
  }
  if (value->is_young() && !holder->is_young()) remember(holder);
}

void Generational::remember(Object* holder) {
  if (holder->gc_bits & Object::kRemembered) return;
  holder->gc_bits |= Object::kRemembered;
  remembered_.push_back(holder);
}

// Between collections: the remembered set is exactly the old objects flagged kRemembered,
// no object carries a mark, old objects are not young, and the nursery holds only young ones.
// (That every old-to-young pointer is remembered is the barrier's promise; the differential
// check tests it by its effects.)
void Generational::validate_between_collections() const {
  for (const Object* o : remembered_) {
    if (o->is_young() || !(o->gc_bits & Object::kRemembered)) {
      invariant_broken("on the remembered set but not an old remembered object", o);
    }
  }
  std::size_t flagged = 0;
  for (const Object* o : old_objects_) {
    if (o->gc_bits & (Object::kYoung | Object::kMarked)) invariant_broken("old but flagged", o);
    if (o->gc_bits & Object::kRemembered) ++flagged;
  }
  if (flagged != remembered_.size()) {
    std::fprintf(stderr, "generational: %zu remembered flags, %zu on the remembered set\n", flagged,
                 remembered_.size());
    std::abort();
  }
  for_each_young([](const Object* o) {
    if (o->gc_bits != Object::kYoung || o->forwarding != nullptr) {
      invariant_broken("in the nursery but not plainly young", o);
    }
  });
}

// ---- HeapView ----

void Generational::for_each_object(const std::function<void(Ref)>& f) const {
  for (const Object* o : old_objects_) f(o);
  for_each_young([&](const Object* o) { f(o); });
}

}  // namespace gcfuzz::generational

namespace gcfuzz {

namespace {

using generational::Bug;

constexpr Capabilities kCapabilities{
    .policy = Policy::java,
    .precision = Precision::exact,
    .collects_cycles = true,
    .generational = true,
    .moving = true,
    .incremental = false,
    .refcounts = false,
};

template <Bug B>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<generational::Generational>(observer, B);
}

}  // namespace

std::span<const CollectorInfo> generational_collectors() {
  static const CollectorInfo entries[] = {
      {"generational:java",
       "copying nursery promoted into a mark-sweep old space, remembered-set write barrier",
       kCapabilities, "", make<Bug::none>},
      {"generational:java~no-barrier-in-finalizer",
       "an alloc finalizer's store into slot 0 skips the write barrier: a minor collection "
       "misses the old-to-young pointer",
       kCapabilities, "generational:java", make<Bug::no_barrier_in_finalizer>},
      {"generational:java~unscanned-promotions",
       "a minor collection never scans the promoted copies: what only young objects reach "
       "is freed",
       kCapabilities, "generational:java", make<Bug::unscanned_promotions>},
      {"generational:java~stale-weak-after-promotion",
       "weak references to promoted objects are not forwarded and dangle into the nursery",
       kCapabilities, "generational:java", make<Bug::stale_weak_after_promotion>},
      {"generational:java~large-block-off-by-one",
       "the nursery's large-block threshold is one alignment unit too high: an object just "
       "past a chunk's size is bumped into an ordinary chunk and overruns it",
       kCapabilities, "generational:java", make<Bug::large_block_off_by_one>},
  };
  return entries;
}

}  // namespace gcfuzz
