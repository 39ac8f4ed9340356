// The trial-deletion cycle collector and its registration.
#include "collectors/trial_deletion/trial_deletion.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace gcfuzz::trial_deletion {

TrialDeletion::TrialDeletion(Observer& observer, Policy policy, Bug bug,
                             refcounting::TrashBug trash_bug)
    : CycleCollectingHeap(observer, policy, trash_bug), bug_(bug) {}

// Finds the trash by trial deletion, then hands it to the shared phases (collect_trash).
// ENSURES (move_unreachable): `unreachable` holds exactly the examined objects that nothing
// outside the examined set reaches, each flagged kUnreachable; every other object has
// gc_flags == 0.
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
  const std::int64_t collected = collect_trash(unreachable);
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

}  // namespace gcfuzz::trial_deletion

namespace gcfuzz {

namespace {

using refcounting::TrashBug;
using trial_deletion::Bug;

constexpr Capabilities capabilities(Policy policy) {
  return Capabilities{.policy = policy,
                      .precision = Precision::exact,
                      .collects_cycles = true,
                      .generational = true,
                      .refcounts = true};
}

template <Policy P, Bug B, TrashBug T = TrashBug::none>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<trial_deletion::TrialDeletion>(observer, P, B, T);
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
       "trial-deletion:pep442", make<pep442, Bug::none, TrashBug::finalize_twice>},
      {"trial-deletion:pep442~forget-weakref",
       "clears only the first weak reference to each piece of trash; the others dangle",
       capabilities(pep442), "trial-deletion:pep442",
       make<pep442, Bug::none, TrashBug::forget_weak_reference>},
      {"trial-deletion:pep442~no-resurrection-check",
       "frees trash after its finalizers without looking for resurrected objects",
       capabilities(pep442), "trial-deletion:pep442",
       make<pep442, Bug::none, TrashBug::no_resurrection_check>},
      {"trial-deletion:pep442~legacy-without-closure",
       "sets aside legacy finalizers but not the trash they reach, which is then freed",
       capabilities(pep442), "trial-deletion:pep442",
       make<pep442, Bug::none, TrashBug::legacy_without_closure>},
      {"trial-deletion:pep442~young-scans-old",
       "a young collection also subtracts old objects' references: old-held young objects die",
       capabilities(pep442), "trial-deletion:pep442", make<pep442, Bug::young_scans_old>},

      {"trial-deletion:pep442-whole~skip-last-slot", kSkipSlot, capabilities(whole),
       "trial-deletion:pep442-whole", make<whole, Bug::subtract_skips_last_slot>},
      {"trial-deletion:pep442-whole~finalize-twice", kFinalizeTwice, capabilities(whole),
       "trial-deletion:pep442-whole", make<whole, Bug::none, TrashBug::finalize_twice>},
      {"trial-deletion:pep442-whole~partial-resurrection",
       "frees the trash nothing resurrected, as 3.9 does, instead of keeping the whole set",
       capabilities(whole), "trial-deletion:pep442-whole",
       make<whole, Bug::none, TrashBug::partial_resurrection>},

      {"trial-deletion:legacy~skip-last-slot", kSkipSlot, capabilities(legacy),
       "trial-deletion:legacy", make<legacy, Bug::subtract_skips_last_slot>},
      {"trial-deletion:legacy~legacy-without-closure",
       "sets aside objects with __del__ but not the trash they reach, which is then freed",
       capabilities(legacy), "trial-deletion:legacy",
       make<legacy, Bug::none, TrashBug::legacy_without_closure>},
      {"trial-deletion:legacy~weakrefs-before-legacy-split",
       "clears weak references to all trash before setting __del__ objects aside: the objects "
       "kept in gc.garbage lose theirs",
       capabilities(legacy), "trial-deletion:legacy",
       make<legacy, Bug::none, TrashBug::weakrefs_before_legacy_split>},
  };
  return entries;
}

}  // namespace gcfuzz
