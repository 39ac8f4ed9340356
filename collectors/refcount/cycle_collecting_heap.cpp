// What a reference-counting cycle collector does once it has found the trash.
#include "collectors/refcount/cycle_collecting_heap.h"
#include "collectors/checks.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace gcfuzz::refcounting {

CycleCollectingHeap::CycleCollectingHeap(Observer& observer, Policy policy, TrashBug trash_bug)
    : RefcountHeap(observer, policy), trash_bug_(trash_bug) {}

// Contracts between phases (checked by validate_list when expensive checks are on):
// - on entry, `unreachable` holds exactly the trash U, each flagged kUnreachable; every
//   other object has gc_flags == 0;
// - objects that die by refcount during the collection unlink themselves from whatever
//   list they are on, and objects resurrected on the refcount path move to young_, so the
//   working lists only ever hold what the next phase should see.
std::int64_t CycleCollectingHeap::collect_trash(ObjectList& unreachable) {
  if constexpr (kExpensiveChecks) validate_list(unreachable, Object::kUnreachable);
  const bool weakrefs_first = trash_bug_ == TrashBug::weakrefs_before_legacy_split;
  if (weakrefs_first) handle_weak_references(unreachable);
  ObjectList finalizers;  // L: set aside, uncollectable
  move_legacy_finalizers(unreachable, finalizers);
  move_legacy_finalizer_reachable(finalizers);
  if constexpr (kExpensiveChecks) validate_list(finalizers, 0);

  if (!weakrefs_first) handle_weak_references(unreachable);

  ObjectList collectable;
  if (is_legacy_policy()) {
    unreachable.merge_into(collectable);  // no finalizer runs in a legacy collection
  } else {
    finalize_trash(unreachable);
    handle_resurrected(unreachable, collectable);
  }
  std::int64_t collected = delete_garbage(collectable);
  collected += handle_legacy_finalizers(finalizers);
  return collected;
}

// Trash with a legacy finalizer cannot be collected safely: it is set aside (L).
void CycleCollectingHeap::move_legacy_finalizers(ObjectList& unreachable, ObjectList& finalizers) {
  unreachable.for_each([&](Object* o) {
    if (has_legacy_finalizer(o)) {
      o->gc_flags = 0;
      finalizers.move_here(o);
    }
  });
}

// ...and so is every piece of trash it reaches. The list grows while it is walked.
void CycleCollectingHeap::move_legacy_finalizer_reachable(ObjectList& finalizers) {
  if (trash_bug_ == TrashBug::legacy_without_closure) return;
  for (Object* o = finalizers.first(); o != nullptr; o = finalizers.next(o)) {
    for (int i = 0; i < o->slot_count; ++i) {
      Object* t = o->slots()[i];
      if (t != nullptr && (t->gc_flags & Object::kUnreachable)) {
        t->gc_flags = 0;
        finalizers.move_here(t);
      }
    }
  }
}

// Weak references to collectable trash are cleared before any finalizer runs (a finalizer
// must not reach trash through one); callbacks run once all are cleared.
void CycleCollectingHeap::handle_weak_references(ObjectList& unreachable) {
  std::vector<std::string> callbacks;
  unreachable.for_each([&](Object* o) {
    if (trash_bug_ == TrashBug::forget_weak_reference && o->weak_list != nullptr) {
      // The planted bug: only the head of the object's weak list is cleared.
      refcounting::WeakRef* w = o->weak_list;
      o->weak_list = w->next;
      if (w->next != nullptr) w->next->prev = nullptr;
      w->referent = nullptr;
      w->next = nullptr;
      observer_.cleared(w->name);
      if (w->callback) callbacks.push_back(w->name);
      return;
    }
    for (std::string& name : clear_weak_references(o)) callbacks.push_back(std::move(name));
  });
  run_callbacks(callbacks);
}

// PEP 442: each trash object's finalizer runs once, in id order, while the collector holds
// it. A finalizer may release references: whatever drops to zero dies at once by refcount,
// and leaves the list (freed, or resurrected and re-tracked as young).
void CycleCollectingHeap::finalize_trash(ObjectList& unreachable) {
  sort_by_id(unreachable);
  ObjectList seen;
  while (Object* o = unreachable.first()) {
    seen.move_here(o);
    const bool finalized =
        (o->flags & Object::kFinalized) && trash_bug_ != TrashBug::finalize_twice;
    if (!has_pep442_finalizer(o) || finalized) continue;
    incref(o);
    run_finalizer(o);
    drain_deaths();
    decref(o);  // may be the last reference: o dies here, and leaves `seen`
    drain_deaths();
  }
  seen.merge_into(unreachable);
}

// Recomputes, among what is left of the trash, what a finalizer made reachable again:
// objects referenced from outside the list, and what they reach, are resurrected and become
// old. pep442 frees the rest; pep442-whole frees nothing if anything was resurrected.
void CycleCollectingHeap::handle_resurrected(ObjectList& unreachable,
                                             ObjectList& still_unreachable) {
  if (trash_bug_ == TrashBug::no_resurrection_check) {
    unreachable.merge_into(still_unreachable);
    return;
  }
  unreachable.for_each([](Object* o) { o->gc_refs = o->refcount; });
  unreachable.for_each([](Object* o) {
    for (int i = 0; i < o->slot_count; ++i) {
      Object* t = o->slots()[i];
      if (t != nullptr && (t->gc_flags & Object::kUnreachable)) --t->gc_refs;
    }
  });
  std::vector<Object*> work;
  unreachable.for_each([&](Object* o) {
    if (o->gc_refs > 0) work.push_back(o);
  });
  const bool whole =
      policy_ == Policy::pep442_whole && trash_bug_ != TrashBug::partial_resurrection;
  if (whole) {
    if (!work.empty()) {
      unreachable.for_each([](Object* o) { o->gc_flags = 0; });
      unreachable.merge_into(old_);
    }
    unreachable.merge_into(still_unreachable);
    return;
  }
  while (!work.empty()) {
    Object* o = work.back();
    work.pop_back();
    if (!(o->gc_flags & Object::kUnreachable)) continue;
    o->gc_flags = 0;
    old_.move_here(o);
    for (int i = 0; i < o->slot_count; ++i) {
      Object* t = o->slots()[i];
      if (t != nullptr && (t->gc_flags & Object::kUnreachable)) work.push_back(t);
    }
  }
  unreachable.merge_into(still_unreachable);
}

// Breaks the cycles: each object's slots are cleared while the collector holds it; the
// counts then fall to zero and the objects die by the refcount rule (their finalizers
// have run, their weak references are gone). Returns how many there were.
std::int64_t CycleCollectingHeap::delete_garbage(ObjectList& collectable) {
  const auto count = static_cast<std::int64_t>(collectable.size());
  while (Object* o = collectable.first()) {
    incref(o);
    for (int i = 0; i < o->slot_count; ++i) {
      if (Object* t = o->slots()[i]) {
        o->slots()[i] = nullptr;
        decref(t);
      }
    }
    drain_deaths();
    decref(o);
    drain_deaths();
    // Compared, not read: `o` may be freed. Still first means still alive.
    if (collectable.first() == o) {
      o->gc_flags = 0;
      old_.move_here(o);
    }
  }
  return count;
}

// What is left of L is uncollectable: objects with a legacy finalizer go to `garbage`,
// and all of L becomes old. Returns how many objects L still holds.
std::int64_t CycleCollectingHeap::handle_legacy_finalizers(ObjectList& finalizers) {
  std::int64_t count = 0;
  finalizers.for_each([&](Object* o) {
    ++count;
    o->gc_flags = 0;
    if (has_legacy_finalizer(o)) append_garbage(o);
  });
  finalizers.merge_into(old_);
  return count;
}

void CycleCollectingHeap::sort_by_id(ObjectList& list) {
  std::vector<Object*> objects;
  list.for_each([&](Object* o) { objects.push_back(o); });
  std::sort(objects.begin(), objects.end(), [](Object* a, Object* b) { return a->id < b->id; });
  for (Object* o : objects) list.move_here(o);
}

void CycleCollectingHeap::validate_list(const ObjectList& list, std::uint8_t flags) {
  list.for_each([&](Object* o) {
    if (o->gc_flags != flags) {
      std::fprintf(stderr, "cycle collector: object @%u has gc_flags %u on a list expecting %u\n",
                   o->id.value, o->gc_flags, flags);
      std::abort();
    }
  });
}

}  // namespace gcfuzz::refcounting
