// The mark-sweep collector (java and boehm finalization) and its registration.
#include "collectors/mark_sweep/mark_sweep.h"

#include <algorithm>
#include <stdexcept>

namespace gcfuzz::mark_sweep {

MarkSweep::MarkSweep(Observer& observer, Policy policy, Bug bug)
    : TracingHeap(observer), policy_(policy), bug_(bug) {
  if (policy != Policy::java && policy != Policy::boehm) {
    throw std::invalid_argument("mark-sweep implements the tracing policies java and boehm");
  }
}

// Object memory goes with memory_; objects hold nothing else to release.
MarkSweep::~MarkSweep() = default;

// ---- Objects ----

// The block an object of `bytes` gets. The mutant rounds down to ObjectMemory's size classes,
// so an object whose size is not a multiple of one runs into the next block.
std::size_t MarkSweep::block_bytes(std::size_t bytes) const {
  if (bug_ != Bug::size_class_rounded_down) return bytes;
  return std::max(bytes / ObjectMemory::kAlignment * ObjectMemory::kAlignment, sizeof(Object));
}

Object* MarkSweep::allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) {
  void* block = memory_.allocate(block_bytes(bytes_for(slots, payload)));
  Object* o = init_object(block, slots, fin, payload, id);
  o->next = objects_;
  if (objects_ != nullptr) objects_->prev = o;
  objects_ = o;
  return o;
}

// REQUIRES: nothing refers to `o` any more (no root, no weak variable, no live slot).
void MarkSweep::free_object(Object* o) {
  observer_.freed(o->id);
  // The bug: reported, but neither unlinked nor released (so no sanitizer sees a thing).
  if (bug_ == Bug::freed_stays_listed) return;
  if (o->prev != nullptr) {
    o->prev->next = o->next;
  } else {
    objects_ = o->next;
  }
  if (o->next != nullptr) o->next->prev = o->prev;
  memory_.release(o, block_bytes(bytes_of(o)));
}

// ---- The collection ----

// Contracts between phases:
// - after mark_from_roots, exactly the reachable objects carry kReachable; the unmarked
//   objects are the trash U;
// - after mark_finalizer_reachable, the trash carrying kKept is K (the finalizable trash F
//   and everything it reaches); the still unmarked objects are U minus K;
// - sweep frees exactly the unmarked objects and leaves every survivor's mark at 0.
void MarkSweep::collect(bool /*young*/) {
  mark_from_roots();
  // Java clears weak references to all of U, K included, before deciding anything.
  const bool clear_all_trash = bug_ != Bug::clear_only_freed_weak;
  if (clear_all_trash) clear_weak_references();
  std::vector<Object*> finalizable = find_finalizable();
  std::vector<Object*> ready = mark_finalizer_reachable(finalizable);
  if (!clear_all_trash) clear_weak_references();
  const std::int64_t freed = sweep();
  // After the sweep: everything the finalizers can touch survived it.
  run_finalizers(ready);
  end_collection(freed);
}

// 1. Every root (strong variables, `revived`, `garbage`) seeds the work list.
// 2. Everything they lead to is marked kReachable.
void MarkSweep::mark_from_roots() {
  std::vector<Object*> work;
  for_each_root([&](Object* o) { work.push_back(o); });
  mark_closure(work, Object::kReachable);
}

// An explicit stack, never recursion: the harness builds chains of a million objects.
void MarkSweep::mark_closure(std::vector<Object*>& work, std::uint8_t mark) {
  while (!work.empty()) {
    Object* o = work.back();
    work.pop_back();
    if (o->is_marked()) continue;
    o->mark = mark;
    int n = o->slot_count;
    if (bug_ == Bug::mark_skips_last_slot) n = std::max(0, n - 1);
    for (int i = 0; i < n; ++i) {
      Object* t = o->slots()[i];
      if (t != nullptr && !t->is_marked()) work.push_back(t);
    }
  }
}

// Clears every weak variable whose referent is unmarked (trash), then runs the callbacks of
// those that have one: all cleared before any callback, as the policies say.
void MarkSweep::clear_weak_references() {
  clear_weak_references_to_trash([](Object* o) { return o->is_marked() ? o : nullptr; });
}

// F: the trash with a finalizer (any kind; `legacy` acts as `log`) that has never run.
std::vector<Object*> MarkSweep::find_finalizable() const {
  const bool check_mark = bug_ != Bug::finalize_again;
  std::vector<Object*> finalizable;
  for (Object* o = objects_; o != nullptr; o = o->next) {
    if (o->is_marked()) continue;
    if (check_mark ? has_unrun_finalizer(o) : o->fin != Finalizer::none) finalizable.push_back(o);
  }
  return finalizable;
}

// 1. Marks kKept from the contents of F: what the finalizers can reach survives, and a
//    finalizable object marked here is reached by another one (Boehm's ordering test).
// 2. The objects to finalize now: all of F under java; under boehm only those step 1 did
//    not reach (one link of a finalizable chain per collection; a cycle through a
//    finalizable object, a self-loop included, never).
// 3. F itself joins K.
// ENSURES: the kKept objects are K; returns the objects to finalize in this collection.
std::vector<Object*> MarkSweep::mark_finalizer_reachable(const std::vector<Object*>& finalizable) {
  std::vector<Object*> work;
  for (Object* o : finalizable) {
    for (int i = 0; i < o->slot_count; ++i) {
      Object* t = o->slots()[i];
      if (t != nullptr && !t->is_marked()) work.push_back(t);
    }
  }
  mark_closure(work, Object::kKept);

  const bool ordered = policy_ == Policy::boehm && bug_ != Bug::unordered_finalization;
  std::vector<Object*> ready;
  for (Object* o : finalizable) {
    if (!ordered || !(o->mark & Object::kKept)) ready.push_back(o);
  }
  for (Object* o : finalizable) o->mark |= Object::kKept;
  return ready;
}

// Frees every unmarked object (U minus K) into the size-class free lists, and resets the
// marks of the survivors for the next collection. Returns how many were freed.
std::int64_t MarkSweep::sweep() {
  std::int64_t freed = 0;
  for (Object* o = objects_; o != nullptr;) {
    Object* after = o->next;
    if (o->is_marked()) {
      o->mark = 0;
    } else {
      free_object(o);
      ++freed;
    }
    o = after;
  }
  return freed;
}

// ---- HeapView ----

void MarkSweep::for_each_object(const std::function<void(Ref)>& f) const {
  for (const Object* o = objects_; o != nullptr; o = o->next) f(o);
}

}  // namespace gcfuzz::mark_sweep

namespace gcfuzz {

namespace {

using mark_sweep::Bug;

constexpr Capabilities capabilities(Policy policy) {
  return Capabilities{.policy = policy,
                      .precision = Precision::exact,
                      .collects_cycles = true,
                      .generational = false,
                      .moving = false,
                      .incremental = false,
                      .refcounts = false};
}

template <Policy P, Bug B>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<mark_sweep::MarkSweep>(observer, P, B);
}

constexpr std::string_view kSkipSlot =
    "off by one in the mark loop: an object's last slot is not traced, what it holds is freed";
constexpr std::string_view kWeakOnlyFreed =
    "clears weak references only to the objects it frees, not to finalizable survivors";

}  // namespace

std::span<const CollectorInfo> mark_sweep_collectors() {
  constexpr Policy java = Policy::java;
  constexpr Policy boehm = Policy::boehm;
  static const CollectorInfo entries[] = {
      {"mark-sweep:java", "precise non-moving mark-sweep, Java finalization (finalize once)",
       capabilities(java), "", make<java, Bug::none>},
      {"mark-sweep:boehm",
       "precise non-moving mark-sweep, Boehm ordered finalization (one chain link per collect)",
       capabilities(boehm), "", make<boehm, Bug::none>},

      {"mark-sweep:java~skip-last-slot", kSkipSlot, capabilities(java), "mark-sweep:java",
       make<java, Bug::mark_skips_last_slot>},
      {"mark-sweep:java~weakrefs-only-freed", kWeakOnlyFreed, capabilities(java), "mark-sweep:java",
       make<java, Bug::clear_only_freed_weak>},
      {"mark-sweep:java~freed-stays-listed",
       "sweep reports an object freed but leaves it on the object list, its memory kept",
       capabilities(java), "mark-sweep:java", make<java, Bug::freed_stays_listed>},
      {"mark-sweep:java~size-class-rounded-down",
       "rounds an object's size down to its size class, not up: an object whose size is not a "
       "multiple of 16 bytes runs into the next block",
       capabilities(java), "mark-sweep:java", make<java, Bug::size_class_rounded_down>},
      {"mark-sweep:java~finalize-again",
       "does not check the FINALIZED mark: a resurrected object is finalized again",
       capabilities(java), "mark-sweep:java", make<java, Bug::finalize_again>},

      {"mark-sweep:boehm~skip-last-slot", kSkipSlot, capabilities(boehm), "mark-sweep:boehm",
       make<boehm, Bug::mark_skips_last_slot>},
      {"mark-sweep:boehm~weakrefs-only-freed", kWeakOnlyFreed, capabilities(boehm),
       "mark-sweep:boehm", make<boehm, Bug::clear_only_freed_weak>},
      {"mark-sweep:boehm~unordered-finalization",
       "finalizes every finalizable object at once (the java rule), even those another reaches",
       capabilities(boehm), "mark-sweep:boehm", make<boehm, Bug::unordered_finalization>},
  };
  return entries;
}

}  // namespace gcfuzz
