// Registers `refcount:pep442` (pure reference counting) and its mutants.
#include "collectors/refcount/refcount_heap.h"

namespace gcfuzz {

namespace {

using refcounting::RefcountBug;
using refcounting::RefcountHeap;

constexpr Capabilities kRefcount{
    .policy = Policy::pep442,
    .precision = Precision::exact,
    .collects_cycles = false,
    .generational = false,
    .refcounts = true,
};

template <RefcountBug Bug>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<RefcountHeap>(observer, Policy::pep442, Bug);
}

}  // namespace

std::span<const CollectorInfo> refcount_collectors() {
  static const CollectorInfo entries[] = {
      {"refcount:pep442", "pure reference counting with PEP 442 finalization; cycles leak",
       kRefcount, "", make<RefcountBug::none>},
      {"refcount:pep442~finalize-twice",
       "forgets the FINALIZED mark: a resurrected object is finalized again when it dies",
       kRefcount, "refcount:pep442", make<RefcountBug::finalize_twice>},
      {"refcount:pep442~weakrefs-before-finalizer",
       "clears weak references before the finalizer, so a resurrected object loses them", kRefcount,
       "refcount:pep442", make<RefcountBug::weakrefs_before_finalizer>},
      {"refcount:pep442~link-keeps-old",
       "link overwrites a slot without releasing the old target, which then never dies", kRefcount,
       "refcount:pep442", make<RefcountBug::link_keeps_old_reference>},
      {"refcount:pep442~free-resurrected",
       "does not re-read the count after a finalizer: frees the object it resurrected", kRefcount,
       "refcount:pep442", make<RefcountBug::free_resurrected>},
  };
  return entries;
}

}  // namespace gcfuzz
