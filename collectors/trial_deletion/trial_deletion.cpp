// The trial-deletion cycle collector and its registration.
#include "collectors/trial_deletion/trial_deletion.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace gcfuzz::trial_deletion {

namespace {

// Expensive invariant checks between phases; on in debug builds.
#ifdef NDEBUG
constexpr bool kExpensiveChecks = false;
#else
constexpr bool kExpensiveChecks = true;
#endif

}  // namespace

TrialDeletion::TrialDeletion(Observer& observer, Policy policy, Bug bug)
    : RefcountHeap(observer, policy), bug_(bug) {}

// Contracts between phases (checked by validate_list when expensive checks are on):
// - after move_unreachable, `unreachable` holds exactly the examined objects that nothing
//   outside the examined set reaches, each flagged kUnreachable; every other object has
//   gc_flags == 0;
// - objects that die by refcount during the collection unlink themselves from whatever
//   list they are on, and objects resurrected on the refcount path move to young_, so the
//   working lists only ever hold what the next phase should see.
void TrialDeletion::collect(bool young) {
  // A full collection examines everything; a young one only what is new since the last
  // collection, with references from old objects acting as roots.
  if (!young) young_.merge_into(old_);
  ObjectList& examined = young ? young_ : old_;

  ObjectList unreachable;
  update_refs(examined);
  subtract_internal_refs(examined, young);
  move_unreachable(examined, unreachable);
  if (young) young_.merge_into(old_);  // survivors are old; finalizers' new objects are young
  if constexpr (kExpensiveChecks) validate_list(unreachable, Object::kUnreachable);

  const bool weakrefs_first = bug_ == Bug::weakrefs_before_legacy_split;
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
  observer_.collected(collected);
  end_op();
}

// Each examined object's gc_refs starts as its reference count.
void TrialDeletion::update_refs(ObjectList& examined) {
  examined.for_each([](Object* o) {
    o->gc_refs = o->refcount;
    o->gc_flags = Object::kCollecting;
  });
}

// Subtracts every reference an examined object holds to another examined object. What
// remains in gc_refs counts references from outside: variables, the two lists, and (in a
// young collection) old objects.
void TrialDeletion::subtract_internal_refs(ObjectList& examined, bool young) {
  auto subtract = [&](Object* o) {
    int n = o->slot_count;
    if (bug_ == Bug::subtract_skips_last_slot) n = std::max(0, n - 1);
    for (int i = 0; i < n; ++i) {
      Object* t = o->slots()[i];
      if (t != nullptr && (t->gc_flags & Object::kCollecting)) --t->gc_refs;
    }
  };
  examined.for_each(subtract);
  if (young && bug_ == Bug::young_scans_old) old_.for_each(subtract);
}

// 1. Objects with gc_refs > 0 are referenced from outside: roots of this collection.
// 2. Everything they reach within the examined set is reachable (explicit work list).
// 3. The rest moves to `unreachable`, in list order.
void TrialDeletion::move_unreachable(ObjectList& examined, ObjectList& unreachable) {
  std::vector<Object*> work;
  examined.for_each([&](Object* o) {
    if (o->gc_refs > 0) work.push_back(o);
  });
  while (!work.empty()) {
    Object* o = work.back();
    work.pop_back();
    if (o->gc_flags & Object::kReachable) continue;
    o->gc_flags |= Object::kReachable;
    for (int i = 0; i < o->slot_count; ++i) {
      Object* t = o->slots()[i];
      if (t != nullptr && (t->gc_flags & Object::kCollecting) &&
          !(t->gc_flags & Object::kReachable)) {
        work.push_back(t);
      }
    }
  }
  examined.for_each([&](Object* o) {
    if (o->gc_flags & Object::kReachable) {
      o->gc_flags = 0;
    } else {
      o->gc_flags = Object::kUnreachable;
      unreachable.move_here(o);
    }
  });
}

// Trash with a legacy finalizer cannot be collected safely: it is set aside (L).
void TrialDeletion::move_legacy_finalizers(ObjectList& unreachable, ObjectList& finalizers) {
  unreachable.for_each([&](Object* o) {
    if (has_legacy_finalizer(o)) {
      o->gc_flags = 0;
      finalizers.move_here(o);
    }
  });
}

// ...and so is every piece of trash it reaches. The list grows while it is walked.
void TrialDeletion::move_legacy_finalizer_reachable(ObjectList& finalizers) {
  if (bug_ == Bug::legacy_without_closure) return;
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
void TrialDeletion::handle_weak_references(ObjectList& unreachable) {
  std::vector<std::string> callbacks;
  unreachable.for_each([&](Object* o) {
    if (bug_ == Bug::forget_weak_reference && o->weak_list != nullptr) {
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
void TrialDeletion::finalize_trash(ObjectList& unreachable) {
  sort_by_id(unreachable);
  ObjectList seen;
  while (Object* o = unreachable.first()) {
    seen.move_here(o);
    const bool finalized = (o->flags & Object::kFinalized) && bug_ != Bug::finalize_twice;
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
void TrialDeletion::handle_resurrected(ObjectList& unreachable, ObjectList& still_unreachable) {
  if (bug_ == Bug::no_resurrection_check) {
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
  const bool whole = policy_ == Policy::pep442_whole && bug_ != Bug::partial_resurrection;
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
std::int64_t TrialDeletion::delete_garbage(ObjectList& collectable) {
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
std::int64_t TrialDeletion::handle_legacy_finalizers(ObjectList& finalizers) {
  std::int64_t count = 0;
  finalizers.for_each([&](Object* o) {
    ++count;
    o->gc_flags = 0;
    if (has_legacy_finalizer(o)) append_garbage(o);
  });
  finalizers.merge_into(old_);
  return count;
}

void TrialDeletion::sort_by_id(ObjectList& list) {
  std::vector<Object*> objects;
  list.for_each([&](Object* o) { objects.push_back(o); });
  std::sort(objects.begin(), objects.end(), [](Object* a, Object* b) { return a->id < b->id; });
  for (Object* o : objects) list.move_here(o);
}

void TrialDeletion::validate_list(const ObjectList& list, std::uint8_t flags) {
  list.for_each([&](Object* o) {
    if (o->gc_flags != flags) {
      std::fprintf(stderr, "trial-deletion: object @%u has gc_flags %u on a list expecting %u\n",
                   o->id.value, o->gc_flags, flags);
      std::abort();
    }
  });
}

}  // namespace gcfuzz::trial_deletion

namespace gcfuzz {

namespace {

using trial_deletion::Bug;

constexpr Capabilities capabilities(Policy policy) {
  return Capabilities{.policy = policy,
                      .precision = Precision::exact,
                      .collects_cycles = true,
                      .generational = true,
                      .refcounts = true};
}

template <Policy P, Bug B>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<trial_deletion::TrialDeletion>(observer, P, B);
}

constexpr std::string_view kSkipSlot =
    "off by one in subtract_internal_refs: cycles through an object's last slot leak";
constexpr std::string_view kFinalizeTwice =
    "finalizes trash without checking the FINALIZED mark: a resurrected object is finalized "
    "again";

}  // namespace

std::span<const CollectorInfo> trial_deletion_collectors() {
  constexpr Policy pep442 = Policy::pep442;
  constexpr Policy whole = Policy::pep442_whole;
  constexpr Policy legacy = Policy::legacy;
  static const CollectorInfo entries[] = {
      {"trial-deletion:pep442",
       "reference counting + CPython's generational cycle collector, CPython 3.9+ semantics",
       capabilities(pep442), "", make<pep442, Bug::none>},
      {"trial-deletion:pep442-whole",
       "reference counting + CPython's cycle collector, CPython 3.4-3.8 semantics",
       capabilities(whole), "", make<whole, Bug::none>},
      {"trial-deletion:legacy",
       "reference counting + CPython's cycle collector, CPython 2.7 semantics (gc.garbage)",
       capabilities(legacy), "", make<legacy, Bug::none>},

      {"trial-deletion:pep442~skip-last-slot", kSkipSlot, capabilities(pep442),
       "trial-deletion:pep442", make<pep442, Bug::subtract_skips_last_slot>},
      {"trial-deletion:pep442~finalize-twice", kFinalizeTwice, capabilities(pep442),
       "trial-deletion:pep442", make<pep442, Bug::finalize_twice>},
      {"trial-deletion:pep442~forget-weakref",
       "clears only the first weak reference to each piece of trash; the others dangle",
       capabilities(pep442), "trial-deletion:pep442", make<pep442, Bug::forget_weak_reference>},
      {"trial-deletion:pep442~no-resurrection-check",
       "frees trash after its finalizers without looking for resurrected objects",
       capabilities(pep442), "trial-deletion:pep442", make<pep442, Bug::no_resurrection_check>},
      {"trial-deletion:pep442~legacy-without-closure",
       "sets aside legacy finalizers but not the trash they reach, which is then freed",
       capabilities(pep442), "trial-deletion:pep442", make<pep442, Bug::legacy_without_closure>},
      {"trial-deletion:pep442~young-scans-old",
       "a young collection also subtracts old objects' references: old-held young objects die",
       capabilities(pep442), "trial-deletion:pep442", make<pep442, Bug::young_scans_old>},

      {"trial-deletion:pep442-whole~skip-last-slot", kSkipSlot, capabilities(whole),
       "trial-deletion:pep442-whole", make<whole, Bug::subtract_skips_last_slot>},
      {"trial-deletion:pep442-whole~finalize-twice", kFinalizeTwice, capabilities(whole),
       "trial-deletion:pep442-whole", make<whole, Bug::finalize_twice>},
      {"trial-deletion:pep442-whole~partial-resurrection",
       "frees the trash nothing resurrected, as 3.9 does, instead of keeping the whole set",
       capabilities(whole), "trial-deletion:pep442-whole", make<whole, Bug::partial_resurrection>},

      {"trial-deletion:legacy~skip-last-slot", kSkipSlot, capabilities(legacy),
       "trial-deletion:legacy", make<legacy, Bug::subtract_skips_last_slot>},
      {"trial-deletion:legacy~legacy-without-closure",
       "sets aside objects with __del__ but not the trash they reach, which is then freed",
       capabilities(legacy), "trial-deletion:legacy", make<legacy, Bug::legacy_without_closure>},
      {"trial-deletion:legacy~weakrefs-before-legacy-split",
       "clears weak references to all trash before setting __del__ objects aside: the objects "
       "kept in gc.garbage lose theirs",
       capabilities(legacy), "trial-deletion:legacy",
       make<legacy, Bug::weakrefs_before_legacy_split>},
  };
  return entries;
}

}  // namespace gcfuzz
