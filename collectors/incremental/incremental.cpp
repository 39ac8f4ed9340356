// The incremental tri-color collector (design and invariants in incremental.h) and its
// registration.
#include "collectors/incremental/incremental.h"
#include "collectors/checks.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

namespace gcfuzz::incremental {

namespace {

// The expensive invariant checks (collectors/checks.h) run when a collection starts, and
// after every op while the heap is small: a check per op on a million-object heap would
// make a long trace quadratic.
constexpr std::size_t kCheckEveryOpUpTo = 4096;  // objects

}  // namespace

Incremental::Incremental(Observer& observer, Bug bug) : TracingHeap(observer), bug_(bug) {}

// ---- TracingHeap's hooks: pacing, the barrier, the restart ----

// Between a collection and the next op the collector is paused, as Lua's is after a
// sweep: the op starts the next cycle, then does its share of marking. Allocation pays for
// more marking than other ops, as allocation-paced collectors do.
void Incremental::before_op(tracing::MutatorOp op) {
  if (!marking_) start_marking();
  mark_step(op == tracing::MutatorOp::alloc ? kWorkPerAlloc : kWorkPerOp);
}

// `link`, and the `alloc` finalizer's store, which runs between cycles (nothing to shade).
void Incremental::slot_stored(Object* /*holder*/, Object* value, tracing::StoredBy /*by*/) {
  write_barrier(value);
}

// A new object is black already: nothing to shade. `load` takes what may be a grey holder's
// unscanned slot, so the loaded object may be white. A `deref`'s referent is held only
// weakly, or through objects the mark has not reached: it may be white. Shading it is the
// read barrier of weak references that incremental and concurrent collectors need (a "weak
// reference get" makes the referent strongly reachable after the roots were scanned).
void Incremental::root_stored(Object* value, tracing::MutatorOp op) {
  switch (op) {
    case tracing::MutatorOp::alloc:
      if (bug_ != Bug::allocate_white) color(value, Color::black);
      return;
    case tracing::MutatorOp::deref:
      if (bug_ == Bug::deref_without_barrier) return;
      break;
    default:
      break;
  }
  write_barrier(value);
}

// A deleted reference to a marked object may have been the last marked path to it (I3):
// restart the cycle rather than let it float to the sweep. A white one needs nothing.
// Emptying a list deletes a reference to each of its objects: one restart covers them all.
void Incremental::references_deleted(std::span<Object* const> targets) {
  const auto marked = [this](const Object* o) { return is_marked(o); };
  if (marking_ && std::any_of(targets.begin(), targets.end(), marked)) restart_marking();
}

void Incremental::after_op() {
  if constexpr (kExpensiveChecks) {
    if (objects_.size() <= kCheckEveryOpUpTo) validate_marking();
  }
}

// ---- Marking ----

void Incremental::color(Object* o, Color c) {
  o->color = c;
  o->colored_in = epoch_;
}

void Incremental::shade(Object* o) {
  if (!is_white(o)) return;
  color(o, Color::grey);
  grey_.push_back(o);
}

// 1. A new epoch: every object is white, the grey set empty.
// 2. Every root target is shaded: variables, then `revived`, then `garbage`.
// ENSURES: (I1)-(I3) (nothing is black; the grey objects are root targets).
void Incremental::start_marking() {
  ++epoch_;
  grey_.clear();
  marking_ = true;
  for_each_root([this](Object* o) { shade(o); });
}

// Earns `work` units, then scans grey objects, last shaded first (the grey set is a
// stack), while the units cover the next one's cost. Units are not banked while there is
// nothing to scan: a restart would otherwise be marked through in one op.
void Incremental::mark_step(int work) {
  work_credit_ += work;
  while (!grey_.empty() && work_credit_ >= scan_cost(grey_.back())) {
    Object* o = grey_.back();
    grey_.pop_back();
    work_credit_ -= scan_cost(o);
    scan(o);
  }
  if (grey_.empty()) work_credit_ = 0;
}

// Shades what a grey object refers to, then blackens it: (I1) holds for it.
void Incremental::scan(Object* o) {
  for (int i = 0; i < o->slot_count; ++i) {
    if (Object* t = o->slots()[i]) shade(t);
  }
  color(o, Color::black);
}

// Dijkstra's insertion barrier: whatever is stored while a cycle is in progress is shaded,
// so no black object and no (already shaded) root comes to refer to a white object.
void Incremental::write_barrier(Object* stored) {
  if (marking_ && stored != nullptr) shade(stored);
}

void Incremental::restart_marking() {
  if (bug_ == Bug::no_restart_on_deletion) return;
  start_marking();
}

// ---- Collection ----

// Contracts between phases:
// - after finish_marking, black is exactly the reachable set and white exactly the trash U
//   (see incremental.h for why), and no cycle is in progress;
// - after keep_finalizable_trash, black is what survives this collection: the reachable
//   objects and K (F and what it reaches in U); white is U minus K;
// - the finalizers run between cycles, so no barrier or restart applies to what they do;
//   the next op starts a new cycle, whose root shading sees `revived` as they left it.
void Incremental::collect(bool /*young*/) {
  if (!marking_) start_marking();  // no op since the last collection: no cycle yet
  finish_marking();
  // SPEC.md 3.4: the weak variables whose referent is trash (white), the finalizable ones
  // included, are cleared, then the callbacks run.
  clear_weak_references_to_trash([this](Object* o) { return is_white(o) ? nullptr : o; });
  std::vector<Object*> finalizable = keep_finalizable_trash();
  const std::int64_t freed = sweep();
  run_finalizers(finalizable);
  end_collection(freed);
}

// Scans every grey object left, regardless of credit: the rest of the cycle in one pause.
void Incremental::finish_marking() {
  if constexpr (kExpensiveChecks) validate_marking();
  while (!grey_.empty()) {
    Object* o = grey_.back();
    grey_.pop_back();
    scan(o);
  }
  work_credit_ = 0;
  marking_ = false;
}

// 1. F: the trash with a finalizer (any kind; `legacy` acts as `log`) that never ran.
// 2. K: F and everything it reaches in U, blackened so the sweep keeps it (a mark from F,
//    as a tracing VM marks through its finalizable objects after the strong mark).
// Returns F.
std::vector<Object*> Incremental::keep_finalizable_trash() {
  std::vector<Object*> finalizable;
  for (Object* o : objects_) {
    if (is_white(o) && has_unrun_finalizer(o)) finalizable.push_back(o);
  }
  std::vector<Object*> work(finalizable.begin(), finalizable.end());
  while (!work.empty()) {
    Object* o = work.back();
    work.pop_back();
    if (!is_white(o)) continue;
    color(o, Color::black);
    for (int i = 0; i < o->slot_count; ++i) {
      Object* t = o->slots()[i];
      if (t != nullptr && is_white(t)) work.push_back(t);
    }
  }
  return finalizable;
}

// Frees every white object (U minus K) through ObjectMemory, which poisons it. Nothing that
// survives refers to it: reachable objects refer only to reachable ones, K is closed under
// references within U, and no weak variable still names it. Returns how many were freed.
std::int64_t Incremental::sweep() {
  std::int64_t freed = 0;
  std::size_t kept = 0;
  for (Object* o : objects_) {
    if (is_white(o)) {
      observer_.freed(o->id);
      memory_.release(o, bytes_of(o));
      ++freed;
    } else {
      objects_[kept++] = o;
    }
  }
  objects_.resize(kept);
  return freed;
}

// (I1) no black object refers to a white one; (I2) every root target is marked; (I3)
// every marked object is reached from a root through marked objects; and the grey set
// holds exactly the grey objects, once each. A planted bug breaks them on purpose.
void Incremental::validate_marking() const {
  if (!marking_ || bug_ != Bug::none) return;
  const auto fail = [](const char* what, const Object* o) {
    std::fprintf(stderr, "incremental: %s (@%u)\n", what, o->id.value);
    std::abort();
  };
  std::vector<const Object*> roots;
  for_each_root([&](const Object* o) { roots.push_back(o); });
  for (const Object* o : roots) {
    if (is_white(o)) fail("a root target is white", o);
  }
  std::unordered_set<const Object*> reached;
  std::vector<const Object*> work;
  for (const Object* o : roots) {
    if (is_marked(o)) work.push_back(o);
  }
  while (!work.empty()) {
    const Object* o = work.back();
    work.pop_back();
    if (!reached.insert(o).second) continue;
    for (int i = 0; i < o->slot_count; ++i) {
      const Object* t = o->slots()[i];
      if (t != nullptr && is_marked(t)) work.push_back(t);
    }
  }
  std::unordered_set<const Object*> on_grey_set;
  for (const Object* o : grey_) {
    if (is_white(o) || o->color != Color::grey) fail("the grey set holds a non-grey object", o);
    if (!on_grey_set.insert(o).second) fail("the grey set holds an object twice", o);
  }
  for (const Object* o : objects_) {
    if (is_white(o)) continue;
    if (!reached.contains(o)) fail("a marked object has no marked path from a root", o);
    if (o->color == Color::grey && !on_grey_set.contains(o)) fail("a grey object is lost", o);
    if (o->color != Color::black) continue;
    for (int i = 0; i < o->slot_count; ++i) {
      const Object* t = o->slots()[i];
      if (t != nullptr && is_white(t)) fail("a black object refers to a white one", o);
    }
  }
}

// ---- Objects ----

Object* Incremental::allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) {
  Object* o = init_object(memory_.allocate(bytes_for(slots, payload)), slots, fin, payload, id);
  objects_.push_back(o);
  return o;
}

// ---- HeapView ----

void Incremental::for_each_object(const std::function<void(Ref)>& f) const {
  for (Object* o : objects_) f(o);
}

}  // namespace gcfuzz::incremental

namespace gcfuzz {

namespace {

using incremental::Bug;

constexpr Capabilities kCapabilities{
    .policy = Policy::java,
    .precision = Precision::exact,
    .collects_cycles = true,
    .generational = false,
    .moving = false,
    .incremental = true,
    .refcounts = false,
};

template <Bug B>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<incremental::Incremental>(observer, B);
}

}  // namespace

std::span<const CollectorInfo> incremental_collectors() {
  static const CollectorInfo entries[] = {
      {"incremental:java",
       "incremental tri-color mark-sweep: Dijkstra insertion barrier, restart on deleting a "
       "reference to a marked object (exact), java finalization",
       kCapabilities, "", make<Bug::none>},
      {"incremental:java~deref-no-barrier",
       "deref puts a weakly held white object in a variable without shading it: it is freed "
       "while reachable",
       kCapabilities, "incremental:java", make<Bug::deref_without_barrier>},
      {"incremental:java~allocate-white",
       "objects allocated during marking are white: the roots were scanned already, so they "
       "are freed while reachable",
       kCapabilities, "incremental:java", make<Bug::allocate_white>},
      {"incremental:java~no-restart",
       "deleting a reference to a marked object does not restart the mark: floating garbage "
       "survives the collection",
       kCapabilities, "incremental:java", make<Bug::no_restart_on_deletion>},
  };
  return entries;
}

}  // namespace gcfuzz
