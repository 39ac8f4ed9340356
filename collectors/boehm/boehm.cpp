// The Boehm GC adapter (libgc) and its registration.
#include "collectors/boehm/boehm.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace gcfuzz::boehm {

namespace {

// libgc warns on stderr about every finalization cycle it meets (SPEC.md 3.5: the boehm
// policy never finalizes one); the traces make them on purpose. Other warnings pass.
void warn(char* message, GC_word argument) {
  if (std::string_view(message).starts_with("GC Warning: Finalization cycle")) return;
  std::fprintf(stderr, message, static_cast<unsigned long>(argument));
}

// Zeroes `Bytes` of the stack below the caller's frame. libgc scans the stack
// conservatively, from its own frames up: an object address left in a dead frame that its
// frames reuse without overwriting (padding, AddressSanitizer's redzones) would retain the
// object. Not inlined, and not instrumented: AddressSanitizer could move the buffer to its
// fake stack, and the real stack would keep its stale words.
template <std::size_t Bytes>
[[gnu::noinline]] [[gnu::no_sanitize_address]] void scrub_stack() {
  char buffer[Bytes];
  std::memset(buffer, 0, sizeof buffer);
  asm volatile("" : : "r"(buffer) : "memory");  // the stores are not dead
}
// After each op, what its own frames used (a few hundred bytes; a few KiB with
// AddressSanitizer, libgc's allocation path included).
constexpr std::size_t kOpStackBytes = 16 * 1024;
// Before each collection, whatever ran below `collect`'s caller since the last one (the
// harness's heap walks too): many times the deepest call chain.
constexpr std::size_t kCollectionStackBytes = 64 * 1024;

// One full collection: libgc marks from its roots (the scanned root containers, the stack,
// registers), zeroes the short links to what is unmarked, decides which
// finalizable objects are ready (queued, not yet run) and what they keep, zeroes the long
// links of what it reclaims. Collections are enabled for this call only.
[[gnu::noinline]] void collect_now() {
  GC_enable();
  GC_gcollect();
  GC_disable();
}

}  // namespace

void prepare_libgc() {
  static const bool done = [] {
    // Marking stays on this thread (libgc 8.2 starts parallel markers only when a thread is
    // created through it, which never happens here): nothing to stop or restart around the
    // harness's forks, whose children inherit the initialized collector.
    GC_set_handle_fork(1);
    // Finalizers run only when `collect` calls GC_invoke_finalizers.
    GC_set_finalize_on_demand(1);
    // Java finalization marks everything a ready no-order finalizable object reaches (SPEC
    // 3.4's K). For ordered finalizers it changes nothing: libgc has already marked from
    // their contents, and marks the ready objects themselves either way.
    GC_set_java_finalization(1);
    GC_set_warn_proc(warn);
    // No static data is a root: the adapter keeps every root in scanned containers, never
    // in static memory, and libgc marks its own structures itself when told so (GC_no_dls,
    // GC_roots_were_cleared). Scanning the program's and the libraries' data would only add
    // false references, and cost: with AddressSanitizer, 25 MB of it at every collection.
    GC_set_no_dls(1);
    GC_INIT();
    GC_clear_roots();
    return true;
  }();
  (void)done;
}

BoehmHeap::BoehmHeap(Observer& observer, Policy policy, Bug bug)
    : observer_(observer), policy_(policy), bug_(bug) {
  if (policy != Policy::java && policy != Policy::boehm) {
    throw std::invalid_argument("boehm-gc implements the tracing policies java and boehm");
  }
  prepare_libgc();
  GC_disable();  // before the first allocation: the root containers allocate too
}

// Unregisters everything libgc could still report for this trace: finalizers not yet run,
// long links, weak links. The objects themselves become unreachable once the roots are gone,
// and a later collection reclaims them silently.
BoehmHeap::~BoehmHeap() {
  unregister_everything();
  // libgc's frames below held its records (finalizer records it just freed, for one), which
  // it hands out again; the next trace's frames must not find their addresses there.
  scrub_stack<kOpStackBytes>();
  GC_enable();
}

void BoehmHeap::unregister_everything() {
  for (auto& [name, w] : weak_) unregister_weak_link(w);
  for (Record* r : live_) {
    Object* o = reveal(r->freed_link);
    if (o != nullptr && o->fin != Finalizer::none && !(o->flags & Object::kFinalized)) {
      GC_register_finalizer(o, nullptr, nullptr, nullptr, nullptr);
    }
    GC_unregister_long_link(reinterpret_cast<void**>(&r->freed_link));
  }
  {
    // Release the roots while collections are still off.
    Roots().swap(variables_);
    RootVector().swap(revived_);
    RootVector().swap(garbage_list_);
  }
}

// ---- Objects ----

// The payload follows the slots in the same block, so libgc's own size classes and large
// blocks serve it. Its bytes (fill_payload) never form a pointer: neighbouring bytes differ.
Object* BoehmHeap::allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) {
  const std::size_t bytes =
      sizeof(Object) + static_cast<std::size_t>(slots) * sizeof(Object*) + payload;
  // A 0-slot object holds no pointer: atomic memory, which libgc does not scan. The header
  // word of the others is scanned too, harmlessly (see Object). Measured: typed allocation
  // (gc_typed.h, header not scanned, objects in a kind of their own) retained no less trash
  // on random traces, and costs a descriptor word per object.
  const bool atomic = slots == 0 || bug_ == Bug::atomic_objects;
  void* block = atomic ? GC_MALLOC_ATOMIC(bytes) : GC_MALLOC(bytes);
  if (block == nullptr) throw std::bad_alloc();
  Object* o = new (block) Object{id, static_cast<std::uint8_t>(slots), fin, 0, 0, payload, 0};
  std::fill_n(o->slots(), slots, nullptr);  // atomic memory is not cleared
  fill_payload(id, {reinterpret_cast<std::byte*>(o->slots() + slots), payload});

  Record& r = records_.emplace_back();
  r.freed_link = GC_HIDE_POINTER(o);
  r.id = id;
  r.live_index = live_.size();
  live_.push_back(&r);
  if (GC_register_long_link(reinterpret_cast<void**>(&r.freed_link), o) != GC_SUCCESS) {
    throw std::bad_alloc();
  }
  if (fin != Finalizer::none) register_finalizer(o);
  return o;
}

// boehm: ordered (GC_register_finalizer: libgc marks from the object's contents, so an
// object another finalizable object reaches waits). java: no order.
void BoehmHeap::register_finalizer(Object* o) {
  const bool ordered = policy_ == Policy::boehm && bug_ != Bug::unordered_finalization;
  if (ordered) {
    GC_register_finalizer(o, finalizer_proc, this, nullptr, nullptr);
  } else {
    GC_register_finalizer_no_order(o, finalizer_proc, this, nullptr, nullptr);
  }
}

void BoehmHeap::finalizer_proc(void* object, void* heap) {
  static_cast<BoehmHeap*>(heap)->run_finalizer(static_cast<Object*>(object));
}

// Marks the object finalized, reports it, and performs its effect (SPEC.md section 1):
// `resurrect` appends it to `revived`; `alloc` allocates a 0-slot object and stores it in
// slot 0 if there is one (else the new object is trash until the next collection).
void BoehmHeap::run_finalizer(Object* o) {
  o->flags |= Object::kFinalized;
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
      Object* fresh = allocate(0, Finalizer::none, 0, finalizer_allocations_.provisional(o->id));
      unnumbered_.push_back(live_.back());
      if (o->slot_count > 0) o->slots()[0] = fresh;
      break;
    }
  }
}

void BoehmHeap::register_weak_link(WeakVariable& w, Object* referent) {
  w.link = GC_HIDE_POINTER(referent);
  void** link = reinterpret_cast<void**>(&w.link);
  const int status = bug_ == Bug::long_weak_links
                         ? GC_register_long_link(link, referent)
                         : GC_general_register_disappearing_link(link, referent);
  if (status != GC_SUCCESS) throw std::bad_alloc();
  w.bound = true;
}

void BoehmHeap::unregister_weak_link(WeakVariable& w) {
  if (!w.bound) return;
  void** link = reinterpret_cast<void**>(&w.link);
  if (bug_ == Bug::long_weak_links) {
    GC_unregister_long_link(link);
  } else {
    GC_unregister_disappearing_link(link);
  }
  w.bound = false;
}

// ---- Mutator ops ----

// Every op's work runs in a frame of its own, below the op's entry point, and the stack it
// used is zeroed when it returns: the entry point's frame holds no object address, and
// neither does the dead stack below it when a later op calls libgc.
template <class Work>
void BoehmHeap::run_op(Work&& work) {
  run_in_own_frame(work);
  scrub_stack<kOpStackBytes>();
}

template <class Work>
[[gnu::noinline]] void BoehmHeap::run_in_own_frame(Work& work) {
  work();
  end_op();
}

Object* BoehmHeap::lookup(std::string_view var) const {
  auto it = variables_.find(var);
  return it == variables_.end() ? nullptr : it->second;
}

void BoehmHeap::set_variable(std::string_view var, Object* value) {
  auto it = variables_.find(var);
  if (value == nullptr) {
    if (it != variables_.end()) variables_.erase(it);
  } else if (it != variables_.end()) {
    it->second = value;
  } else {
    variables_.emplace(std::string(var), value);
  }
}

void BoehmHeap::alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) {
  run_op([&] { set_variable(var, allocate(slots, fin, payload, ObjectId{next_id_++})); });
}

void BoehmHeap::link(std::string_view target, int slot, std::string_view source) {
  run_op([&] {
    Object* t = lookup(target);
    Object* s = lookup(source);
    if (t != nullptr && s != nullptr && slot < t->slot_count) t->slots()[slot] = s;
  });
}

void BoehmHeap::unlink(std::string_view target, int slot) {
  run_op([&] {
    Object* t = lookup(target);
    if (t != nullptr && slot < t->slot_count) t->slots()[slot] = nullptr;
  });
}

void BoehmHeap::load(std::string_view var, std::string_view source, int slot) {
  run_op([&] {
    Object* s = lookup(source);
    if (s != nullptr && slot < s->slot_count) set_variable(var, s->slots()[slot]);
  });
}

void BoehmHeap::copy(std::string_view var, std::string_view source) {
  run_op([&] {
    if (Object* s = lookup(source)) set_variable(var, s);
  });
}

// A weak variable first (its own namespace), then the strong one.
void BoehmHeap::drop(std::string_view var) {
  run_op([&] {
    if (auto it = weak_.find(var); it != weak_.end()) {
      unregister_weak_link(it->second);
      weak_.erase(it);
    }
    set_variable(var, nullptr);
  });
}

void BoehmHeap::weak(std::string_view weak, std::string_view var, bool callback) {
  run_op([&] {
    if (Object* referent = lookup(var)) {
      auto it = weak_.find(weak);
      if (it == weak_.end()) it = weak_.emplace(std::string(weak), WeakVariable{}).first;
      unregister_weak_link(it->second);
      it->second.callback = callback;
      register_weak_link(it->second, referent);
    }
  });
}

void BoehmHeap::deref(std::string_view var, std::string_view weak) {
  run_op([&] {
    if (auto it = weak_.find(weak); it != weak_.end()) set_variable(var, reveal(it->second.link));
  });
}

// Releasing a list frees its buffer, which GC_FREE zeroes: no copy of its pointers is left.
void BoehmHeap::clear(RootList list) {
  run_op([&] { RootVector().swap(list == RootList::revived ? revived_ : garbage_list_); });
}

// ---- The collection ----

// Contracts between phases:
// - after collect_now, libgc has zeroed the short links of the weak variables whose
//   referent it found unreachable, the long links of the objects it reclaimed, and queued
//   the finalizers of the finalizable objects it found ready;
// - the reports read those links and reset what they read, so each is reported once;
// - run_finalizers empties libgc's queue.
// No object is touched before collect_now: this frame holds no object address libgc would
// find, and the stack below it is zeroed.
void BoehmHeap::collect(bool /*young*/) {
  scrub_stack<kCollectionStackBytes>();
  collect_now();
  run_op([&] {
    report_cleared_weak_variables();
    const std::int64_t freed = report_freed_objects();
    run_finalizers();
    observer_.collected(freed);
  });
}

// Every bound weak variable whose link libgc zeroed was cleared (its referent was trash,
// SPEC 3.4 and 3.5: before any finalization decision); then the callbacks of those that have
// one run, in name order.
void BoehmHeap::report_cleared_weak_variables() {
  std::vector<std::string_view> callbacks;
  for (auto& [name, w] : weak_) {
    if (!w.bound || w.link != 0) continue;
    w.bound = false;  // libgc dropped the registration with the link
    observer_.cleared(name);
    if (w.callback) callbacks.push_back(name);
  }
  for (std::string_view name : callbacks) observer_.callback_ran(name);
}

// Every object whose long link libgc zeroed was reclaimed: reported freed and forgotten.
// Returns how many.
std::int64_t BoehmHeap::report_freed_objects() {
  std::int64_t freed = 0;
  for (std::size_t i = 0; i < live_.size();) {
    Record* r = live_[i];
    if (r->freed_link != 0) {
      ++i;
      continue;
    }
    observer_.freed(r->id);
    ++freed;
    live_[i] = live_.back();
    live_[i]->live_index = i;
    live_.pop_back();
  }
  return freed;
}

// Runs the finalizers libgc queued, in its order (events are compared as sets; the effects
// commute: appends to `revived`, allocations numbered by creator at the end of the op).
void BoehmHeap::run_finalizers() {
  while (GC_should_invoke_finalizers()) GC_invoke_finalizers();
}

void BoehmHeap::end_op() {
  if (unnumbered_.empty()) return;
  // Provisional ids are the creators' ids with a high bit set: sorting by id sorts by
  // creator, the order `settle` numbers them in.
  std::sort(unnumbered_.begin(), unnumbered_.end(),
            [](const Record* a, const Record* b) { return a->id < b->id; });
  const auto renames = finalizer_allocations_.settle(next_id_, observer_);
  for (std::size_t i = 0; i < renames.size(); ++i) {
    unnumbered_[i]->id = renames[i].second;
    reveal(unnumbered_[i]->freed_link)->id = renames[i].second;
  }
  unnumbered_.clear();
}

// ---- HeapView ----

void BoehmHeap::for_each_variable(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, o] : variables_) f(name, o);
}

void BoehmHeap::for_each_weak(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, w] : weak_) f(name, reveal(w.link));
}

void BoehmHeap::for_each_in_list(RootList list, const std::function<void(Ref)>& f) const {
  for (const Object* o : list == RootList::revived ? revived_ : garbage_list_) f(o);
}

void BoehmHeap::for_each_object(const std::function<void(Ref)>& f) const {
  for (const Record* r : live_) f(reveal(r->freed_link));
}

}  // namespace gcfuzz::boehm

namespace gcfuzz {

namespace {

using boehm::Bug;

constexpr std::string_view kOrigin = "Boehm-Demers-Weiser GC 8.2 (libgc)";

constexpr Capabilities capabilities(Policy policy) {
  return Capabilities{.policy = policy,
                      .precision = Precision::conservative,
                      .collects_cycles = true,
                      .generational = false,
                      .moving = false,
                      .incremental = false,
                      .refcounts = false};
}

template <Policy P, Bug B>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<boehm::BoehmHeap>(observer, P, B);
}

constexpr std::string_view kAtomic =
    "objects from GC_MALLOC_ATOMIC: libgc does not scan their slots and frees what only a slot "
    "holds";

}  // namespace

std::span<const CollectorInfo> boehm_collectors() {
  constexpr Policy java = Policy::java;
  constexpr Policy boehm = Policy::boehm;
  static const CollectorInfo entries[] = {
      {"boehm-gc:java",
       "libgc's conservative mark-sweep, Java finalization (GC_register_finalizer_no_order)",
       capabilities(java), "", make<java, Bug::none>, kOrigin, boehm::prepare_libgc},
      {"boehm-gc:boehm",
       "libgc's conservative mark-sweep, ordered finalization (GC_register_finalizer)",
       capabilities(boehm), "", make<boehm, Bug::none>, kOrigin, boehm::prepare_libgc},

      {"boehm-gc:java~atomic-objects", kAtomic, capabilities(java), "boehm-gc:java",
       make<java, Bug::atomic_objects>, kOrigin, boehm::prepare_libgc},
      {"boehm-gc:java~long-weak-links",
       "weak variables are long links: not cleared when the referent is only finalizable",
       capabilities(java), "boehm-gc:java", make<java, Bug::long_weak_links>, kOrigin,
       boehm::prepare_libgc},
      {"boehm-gc:boehm~atomic-objects", kAtomic, capabilities(boehm), "boehm-gc:boehm",
       make<boehm, Bug::atomic_objects>, kOrigin, boehm::prepare_libgc},
      {"boehm-gc:boehm~unordered-finalization",
       "finalizers registered with GC_register_finalizer_no_order: a chain is finalized at once",
       capabilities(boehm), "boehm-gc:boehm", make<boehm, Bug::unordered_finalization>, kOrigin,
       boehm::prepare_libgc},
  };
  return entries;
}

}  // namespace gcfuzz
