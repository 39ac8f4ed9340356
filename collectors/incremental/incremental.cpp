// The incremental tri-color collector (design and invariants in incremental.h) and its
// registration.
#include "collectors/incremental/incremental.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <unordered_set>

namespace gcfuzz::incremental {

namespace {

// Expensive invariant checks; on in debug builds (and in the dev preset, which builds
// without NDEBUG). They run when a collection starts, and after every op while the heap is
// small: a check per op on a million-object heap would make a long trace quadratic.
#ifdef NDEBUG
constexpr bool kExpensiveChecks = false;
#else
constexpr bool kExpensiveChecks = true;
#endif
constexpr std::size_t kCheckEveryOpUpTo = 4096;  // objects

}  // namespace

Incremental::Incremental(Observer& observer, Bug bug) : observer_(observer), bug_(bug) {}

// ---- Mutator ops ----

// Allocation pays for more marking than other ops, as allocation-paced collectors do.
void Incremental::alloc(std::string_view var, int slots, Finalizer fin) {
  begin_op(kWorkPerAlloc);
  Object* fresh = new_object(slots, fin, ObjectId{next_id_++});
  if (bug_ != Bug::allocate_white) color(fresh, Color::black);
  store_variable(var, fresh, Barrier::skip);  // black already: nothing to shade
  end_op();
}

void Incremental::link(std::string_view target, int slot, std::string_view source) {
  begin_op(kWorkPerOp);
  Object* t = lookup(target);
  Object* s = lookup(source);
  if (t != nullptr && s != nullptr && slot < t->slot_count) store_slot(t, slot, s);
  end_op();
}

void Incremental::unlink(std::string_view target, int slot) {
  begin_op(kWorkPerOp);
  Object* t = lookup(target);
  if (t != nullptr && slot < t->slot_count) store_slot(t, slot, nullptr);
  end_op();
}

// A grey holder's slots are not scanned yet: the loaded object may be white.
void Incremental::load(std::string_view var, std::string_view source, int slot) {
  begin_op(kWorkPerOp);
  Object* s = lookup(source);
  if (s != nullptr && slot < s->slot_count) store_variable(var, s->slots()[slot], Barrier::shade);
  end_op();
}

void Incremental::copy(std::string_view var, std::string_view source) {
  begin_op(kWorkPerOp);
  if (Object* s = lookup(source)) store_variable(var, s, Barrier::shade);
  end_op();
}

// A weak variable first (its own namespace), then the strong one.
void Incremental::drop(std::string_view var) {
  begin_op(kWorkPerOp);
  if (auto it = weak_.find(var); it != weak_.end()) weak_.erase(it);
  store_variable(var, nullptr, Barrier::skip);  // stores nothing
  end_op();
}

// A weak variable is no root: binding one changes no color.
void Incremental::weak(std::string_view weak, std::string_view var, bool callback) {
  begin_op(kWorkPerOp);
  if (Object* referent = lookup(var)) {
    weak_.insert_or_assign(std::string(weak), WeakVariable{referent, callback});
  }
  end_op();
}

// The referent is held only weakly, or through objects the mark has not reached: it may be
// white. Shading it here is the read barrier of weak references that incremental and
// concurrent collectors need (a "weak reference get" makes the referent strongly reachable
// after the roots were scanned).
void Incremental::deref(std::string_view var, std::string_view weak) {
  begin_op(kWorkPerOp);
  if (auto it = weak_.find(weak); it != weak_.end()) {
    const bool planted_bug = bug_ == Bug::deref_without_barrier;
    store_variable(var, it->second.referent, planted_bug ? Barrier::skip : Barrier::shade);
  }
  end_op();
}

// Emptying a list deletes a reference to each of its objects: one restart covers them all.
void Incremental::clear(RootList list) {
  begin_op(kWorkPerOp);
  std::vector<Object*> released;
  released.swap(list == RootList::revived ? revived_ : garbage_list_);
  const auto marked = [this](const Object* o) { return is_marked(o); };
  if (marking_ && std::any_of(released.begin(), released.end(), marked)) restart_marking();
  end_op();
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
  for (const auto& [name, o] : variables_) shade(o);
  for (Object* o : revived_) shade(o);
  for (Object* o : garbage_list_) shade(o);
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

// A deleted reference to a marked object may have been the last marked path to it (I3):
// restart the cycle rather than let it float to the sweep. A white one needs nothing.
void Incremental::reference_deleted(Object* old) {
  if (marking_ && old != nullptr && is_marked(old)) restart_marking();
}

void Incremental::restart_marking() {
  if (bug_ == Bug::no_restart_on_deletion) return;
  start_marking();
}

// ---- Stores ----

// Overwriting a variable with its own value deletes no reference.
void Incremental::store_variable(std::string_view var, Object* value, Barrier barrier) {
  if (barrier == Barrier::shade) write_barrier(value);
  Object* old = nullptr;
  auto it = variables_.find(var);
  if (it != variables_.end()) old = it->second;
  if (value != nullptr) {
    if (it != variables_.end()) {
      it->second = value;
    } else {
      variables_.emplace(std::string(var), value);
    }
  } else if (it != variables_.end()) {
    variables_.erase(it);
  }
  if (old != value) reference_deleted(old);
}

void Incremental::store_slot(Object* holder, int slot, Object* value) {
  write_barrier(value);
  Object* old = holder->slots()[slot];
  holder->slots()[slot] = value;
  if (old != value) reference_deleted(old);
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
  clear_weak_references_to_trash();
  const std::vector<Object*> finalizable = keep_finalizable_trash();
  const std::int64_t freed = sweep();
  run_finalizers(finalizable);
  observer_.collected(freed);
  end_op();
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

// SPEC.md 3.4: every weak variable whose referent is trash is cleared (the finalizable
// ones included), then the callbacks run.
void Incremental::clear_weak_references_to_trash() {
  std::vector<std::string_view> callbacks;
  for (auto& [name, w] : weak_) {
    if (w.referent == nullptr || !is_white(w.referent)) continue;
    w.referent = nullptr;
    observer_.cleared(name);
    if (w.callback) callbacks.push_back(name);
  }
  for (std::string_view name : callbacks) observer_.callback_ran(name);
}

// 1. F: the trash with a finalizer (any kind; `legacy` acts as `log`) that never ran.
// 2. K: F and everything it reaches in U, blackened so the sweep keeps it (a mark from F,
//    as a tracing VM marks through its finalizable objects after the strong mark).
// Returns F in id order, the order its finalizers run.
std::vector<Incremental::Object*> Incremental::keep_finalizable_trash() {
  std::vector<Object*> finalizable;
  for (Object* o : objects_) {
    if (is_white(o) && o->fin != Finalizer::none && !o->finalized) finalizable.push_back(o);
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
  std::sort(finalizable.begin(), finalizable.end(),
            [](const Object* a, const Object* b) { return a->id < b->id; });
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
      memory_.release(o, bytes_for(o->slot_count));
      ++freed;
    } else {
      objects_[kept++] = o;
    }
  }
  objects_.resize(kept);
  return freed;
}

void Incremental::run_finalizers(const std::vector<Object*>& finalizable) {
  for (Object* o : finalizable) run_finalizer(o);
}

// Marks `o` finalized, reports it and performs the finalizer's effect (SPEC.md section 1).
void Incremental::run_finalizer(Object* o) {
  o->finalized = true;
  observer_.finalized(o->id);
  switch (o->fin) {
    case Finalizer::none:
    case Finalizer::log:
    case Finalizer::legacy:
      break;
    case Finalizer::resurrect:
      revived_.push_back(o);
      break;
    case Finalizer::alloc: {
      // The new object is numbered after the op (SPEC.md section 1, "Numbering"). With no
      // slot to hold it, it is trash until the next collection.
      Object* fresh = new_object(0, Finalizer::none, finalizer_allocations_.provisional(o->id));
      unnumbered_.push_back(fresh);
      if (o->slot_count > 0) store_slot(o, 0, fresh);
      break;
    }
  }
}

// ---- Ops: set-up and end ----

// Between a collection and the next op the collector is paused, as Lua's is after a
// sweep: the op starts the next cycle, then does its share of marking.
void Incremental::begin_op(int work) {
  if (!marking_) start_marking();
  mark_step(work);
}

void Incremental::end_op() {
  for (const auto& [provisional, final] : finalizer_allocations_.settle(next_id_, observer_)) {
    for (Object* o : unnumbered_) {
      if (o->id == provisional) o->id = final;
    }
  }
  unnumbered_.clear();
  if constexpr (kExpensiveChecks) {
    if (objects_.size() <= kCheckEveryOpUpTo) validate_marking();
  }
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
  for (const auto& [name, o] : variables_) roots.push_back(o);
  for (const Object* o : revived_) roots.push_back(o);
  for (const Object* o : garbage_list_) roots.push_back(o);
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

// ---- Objects and roots ----

Incremental::Object* Incremental::new_object(int slots, Finalizer fin, ObjectId id) {
  void* block = memory_.allocate(bytes_for(slots));
  Object* o = new (block) Object{};
  o->id = id;
  o->slot_count = static_cast<std::uint8_t>(slots);
  o->fin = fin;
  std::fill_n(o->slots(), slots, nullptr);
  objects_.push_back(o);
  return o;
}

Incremental::Object* Incremental::lookup(std::string_view var) const {
  auto it = variables_.find(var);
  return it == variables_.end() ? nullptr : it->second;
}

// ---- HeapView ----

void Incremental::for_each_variable(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, o] : variables_) f(name, o);
}

void Incremental::for_each_weak(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, w] : weak_) f(name, w.referent);
}

void Incremental::for_each_in_list(RootList list, const std::function<void(Ref)>& f) const {
  for (Object* o : list == RootList::revived ? revived_ : garbage_list_) f(o);
}

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
