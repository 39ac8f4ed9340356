// The rule table: names, SPEC.md sections, and the policies each rule belongs to.
#include "model/rules.h"

#include "model/model.h"

namespace gcfuzz {

namespace {

constexpr std::array<RuleInfo, kRuleCount> kRules = {{
    {"noop-unbound-source", "1.3", "an op whose source is unbound or null did nothing"},
    {"noop-slot-out-of-range", "1.3", "an op on a slot past the object's count did nothing"},
    {"null-from-empty-slot-or-cleared-weak", "1.3",
     "load of an empty slot or deref of a cleared weak variable bound null"},
    {"weak-rebound", "1.3", "a weak variable was bound again"},
    {"drop-weak-and-strong", "1.3", "drop forgot a weak and a strong variable of one name"},
    {"finalizer-allocation-numbered", "1.2", "objects a finalizer allocated were numbered"},
    {"alloc-finalizer-without-slots", "1.1",
     "an alloc finalizer of an object without slots dropped its allocation"},
    {"revived-cleared", "1.3", "clear revived released objects"},
    {"refcount-death", "3.1", "an object died by reference count"},
    {"refcount-cascade", "3.1 step 5", "a death released the last reference to another object"},
    {"refcount-finalizer", "3.1 step 1, 3.3", "a finalizer ran on the refcount path"},
    {"refcount-resurrection", "3.1 step 2, 3.3", "a finalizer resurrected a dying object"},
    {"refcount-weak-cleared", "3.1 step 3, 3.3", "a death cleared weak references"},
    {"weak-callback", "3.1 step 3, 3.4 step 2", "a weak reference's callback ran"},
    {"legacy-finalizer-runs-again", "3.3",
     "a finalizer ran again on an object it had finalized before"},
    {"finalized-once", "3.1, 3.4",
     "an object finalized before died without its finalizer running again"},
    {"collection-frees-trash", "3.1 step 5, 3.3", "a collection freed trash"},
    {"legacy-set-aside", "3.1 step 2, 3.3", "a collection set a legacy closure aside"},
    {"weak-cleared-before-finalizer", "3.1 step 3, 3.4 step 2",
     "a collection cleared weak references and then ran finalizers"},
    {"collection-finalizer", "3.1 step 4", "a collection ran a finalizer"},
    {"collection-resurrection", "3.1 step 5",
     "trash a collection's finalizers made reachable survived it"},
    {"whole-resurrection-frees-nothing", "3.2",
     "one resurrection kept all of a collection's trash"},
    {"died-by-refcount-in-collection", "3.1 steps 4-5",
     "trash died by reference count during its collection"},
    {"legacy-member-died-by-refcount", "3.1 steps 5-6, 3.3",
     "an object of the legacy closure died by reference count in the collection"},
    {"garbage-appended", "3.1 step 6, 3.3", "a legacy closure's finalizers went to garbage"},
    {"garbage-cleared", "3.1 step 6", "clear garbage released objects"},
    {"tracing-trash-freed", "3.4 step 3", "a tracing collection freed trash"},
    {"tracing-weak-cleared", "3.4 step 2", "a tracing collection cleared weak references"},
    {"tracing-kept-for-finalizer", "3.4 step 3", "finalizable trash survived for its finalizer"},
    {"tracing-kept-reachable-from-finalizable", "3.4 step 3",
     "trash survived because finalizable trash reaches it"},
    {"tracing-finalizer", "3.4 step 4", "a tracing collection ran a finalizer"},
    {"tracing-resurrection", "3.4 step 4", "a finalizer resurrected trash into revived"},
    {"boehm-chain-link-deferred", "3.5",
     "finalizable trash reached from finalizable trash waited for a later collection"},
    {"boehm-finalization-cycle", "3.5",
     "no finalizable trash could be finalized: each is reached from one (a cycle)"},
    {"young-collection", "4", "a young collection examined the young objects only"},
    {"young-old-to-young-root", "4", "an old object's reference was a root of a young collection"},
    {"resurrected-young-again", "4", "an object resurrected on the refcount path became young"},
    {"collect-without-cycles", "4", "a collector without cycle collection collected nothing"},
    {"lua-survivor-stays-young", "3.6",
     "a survivor of its first young collection stayed young for one more"},
    {"lua-callback-ignored", "3.6", "a weak variable with `cb` was cleared; Lua runs no callback"},
}};

bool pep442_family(Policy p) {
  return p == Policy::pep442 || p == Policy::pep442_whole;
}
bool tracing(Policy p) {
  return p == Policy::java || p == Policy::boehm || p == Policy::lua;
}

}  // namespace

const RuleInfo& info_of(Rule rule) {
  return kRules[static_cast<int>(rule)];
}

bool applies(Rule rule, const ModelOptions& options) {
  const Policy p = options.policy;
  const bool refcounting = counts_references(p);
  const bool cycles = options.collects_cycles;
  switch (rule) {
    case Rule::noop_unbound_source:
    case Rule::noop_slot_out_of_range:
    case Rule::null_from_empty_slot_or_cleared_weak:
    case Rule::weak_rebound:
    case Rule::drop_weak_and_strong:
    case Rule::revived_cleared:
      return true;
    case Rule::finalizer_allocation_numbered:
    case Rule::alloc_finalizer_without_slots:
      return refcounting || cycles;
    case Rule::weak_callback:
      return (refcounting || cycles) && p != Policy::lua;
    case Rule::refcount_death:
    case Rule::refcount_cascade:
    case Rule::refcount_finalizer:
    case Rule::refcount_resurrection:
    case Rule::refcount_weak_cleared:
      return refcounting;
    case Rule::legacy_finalizer_runs_again:
      return p == Policy::legacy;
    case Rule::finalized_once:
      return p != Policy::legacy && (refcounting || cycles);
    case Rule::collection_frees_trash:
    case Rule::legacy_set_aside:
    case Rule::legacy_member_died_by_refcount:
    case Rule::garbage_appended:
    case Rule::garbage_cleared:
      return refcounting && cycles;
    case Rule::weak_cleared_before_finalizer:
      return (pep442_family(p) || tracing(p)) && cycles;
    case Rule::collection_finalizer:
    case Rule::collection_resurrection:
    case Rule::died_by_refcount_in_collection:
      return pep442_family(p) && cycles;
    case Rule::whole_resurrection_frees_nothing:
      return p == Policy::pep442_whole && cycles;
    case Rule::tracing_trash_freed:
    case Rule::tracing_weak_cleared:
    case Rule::tracing_kept_for_finalizer:
    case Rule::tracing_kept_reachable_from_finalizable:
    case Rule::tracing_finalizer:
    case Rule::tracing_resurrection:
      return tracing(p) && cycles;
    case Rule::boehm_chain_link_deferred:
    case Rule::boehm_finalization_cycle:
      return p == Policy::boehm && cycles;
    case Rule::young_collection:
    case Rule::young_old_to_young_root:
      return options.generational && cycles;
    case Rule::resurrected_young_again:
      return refcounting && options.generational && cycles;
    case Rule::collect_without_cycles:
      return !cycles;
    case Rule::lua_survivor_stays_young:
      return p == Policy::lua && options.generational && cycles;
    case Rule::lua_callback_ignored:
      return p == Policy::lua && cycles;
    case Rule::count_:
      break;
  }
  return false;
}

}  // namespace gcfuzz
