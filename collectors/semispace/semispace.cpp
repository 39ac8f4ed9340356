// The semispace copying collector (java finalization) and its registration.
#include "collectors/semispace/semispace.h"

#include <sanitizer/asan_interface.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace gcfuzz::semispace {

// ---- Space ----

namespace {
constexpr std::size_t kBlockAlignment = 16;
}  // namespace

Space::~Space() {
  for (const Block& b : blocks_) release(b);
}

void Space::release(const Block& b) {
  ASAN_UNPOISON_MEMORY_REGION(b.base, b.capacity);
  ::operator delete (b.base, std::align_val_t{kBlockAlignment});
}

void Space::add_block(std::size_t capacity) {
  char* base = static_cast<char*>(::operator new (capacity, std::align_val_t{kBlockAlignment}));
  ASAN_POISON_MEMORY_REGION(base, capacity);  // unpoisoned object by object, as allocated
  blocks_.push_back({base, capacity, 0});
}

void* Space::allocate(std::size_t bytes) {
  if (blocks_.empty() || blocks_.back().capacity - blocks_.back().top < bytes) {
    // Doubling keeps the number of blocks logarithmic in the heap's size.
    const std::size_t last = blocks_.empty() ? 0 : blocks_.back().capacity;
    add_block(std::max({kMinBlock, 2 * last, bytes}));
  }
  Block& b = blocks_.back();
  char* p = b.base + b.top;
  b.top += bytes;
  ASAN_UNPOISON_MEMORY_REGION(p, bytes);
  return p;
}

// The first block is kept when it is large enough, so that alternating collections reuse
// the same two regions, as a textbook semispace pair does.
void Space::reset(std::size_t capacity) {
  capacity = std::max(capacity, kMinBlock);
  const bool keep_first = !blocks_.empty() && blocks_.front().capacity >= capacity;
  for (std::size_t i = keep_first ? 1 : 0; i < blocks_.size(); ++i) release(blocks_[i]);
  blocks_.resize(keep_first ? 1 : 0);
  if (keep_first) {
    ASAN_POISON_MEMORY_REGION(blocks_.front().base, blocks_.front().capacity);
    blocks_.front().top = 0;
  } else {
    add_block(capacity);
  }
}

void Space::poison_all() {
  for (const Block& b : blocks_) ASAN_POISON_MEMORY_REGION(b.base, b.capacity);
}

std::size_t Space::used() const {
  std::size_t n = 0;
  for (const Block& b : blocks_) n += b.top;
  return n;
}

// ---- Semispace: objects and roots ----

Semispace::Semispace(Observer& observer, Bug bug) : observer_(observer), bug_(bug) {}

Object* Semispace::new_object(int slots, Finalizer fin, ObjectId id) {
  Object* o = new (active_.allocate(Object::size_for(slots))) Object{};
  o->id = id;
  o->slot_count = static_cast<std::uint8_t>(slots);
  o->fin = fin;
  std::fill_n(o->slots(), slots, nullptr);
  return o;
}

Object* Semispace::lookup(std::string_view var) const {
  auto it = variables_.find(var);
  return it == variables_.end() ? nullptr : it->second;
}

// Variables holding null are not kept: an unbound and a null variable read the same.
void Semispace::set_variable(std::string_view var, Object* value) {
  auto it = variables_.find(var);
  if (value == nullptr) {
    if (it != variables_.end()) variables_.erase(it);
  } else if (it != variables_.end()) {
    it->second = value;
  } else {
    variables_.emplace(std::string(var), value);
  }
}

// ---- Mutator ops: they only change roots and slots; nothing dies between collections ----

void Semispace::alloc(std::string_view var, int slots, Finalizer fin) {
  set_variable(var, new_object(slots, fin, ObjectId{next_id_++}));
  end_op();
}

void Semispace::link(std::string_view target, int slot, std::string_view source) {
  Object* t = lookup(target);
  Object* s = lookup(source);
  if (t != nullptr && s != nullptr && slot < t->slot_count) t->slots()[slot] = s;
  end_op();
}

void Semispace::unlink(std::string_view target, int slot) {
  Object* t = lookup(target);
  if (t != nullptr && slot < t->slot_count) t->slots()[slot] = nullptr;
  end_op();
}

void Semispace::load(std::string_view var, std::string_view source, int slot) {
  Object* s = lookup(source);
  if (s != nullptr && slot < s->slot_count) set_variable(var, s->slots()[slot]);
  end_op();
}

void Semispace::copy(std::string_view var, std::string_view source) {
  if (Object* s = lookup(source)) set_variable(var, s);
  end_op();
}

void Semispace::drop(std::string_view var) {
  if (auto it = weak_.find(var); it != weak_.end()) weak_.erase(it);
  set_variable(var, nullptr);
  end_op();
}

void Semispace::weak(std::string_view weak, std::string_view var, bool callback) {
  if (Object* referent = lookup(var)) {
    auto [it, inserted] = weak_.try_emplace(std::string(weak));
    it->second = WeakVariable{referent, callback};
  }
  end_op();
}

void Semispace::deref(std::string_view var, std::string_view weak) {
  if (auto it = weak_.find(weak); it != weak_.end()) set_variable(var, it->second.referent);
  end_op();
}

void Semispace::clear(RootList list) {
  (list == RootList::revived ? revived_ : garbage_list_).clear();
  end_op();
}

// ---- The collection ----

// `active_` is from-space and `reserve_` to-space until the flip.
// Contracts between phases:
// - after copy_roots and scan_copied, the reachable objects, and only they, are forwarded,
//   and every root and every to-space slot points into to-space;
// - after handle_weak_references, no weak variable points into from-space;
// - after copy_finalizable, the forwarded objects are the reachable ones and K (SPEC.md 3.4);
//   every to-space slot points into to-space; the rest of from-space is U minus K;
// - after the flip nothing points into the poisoned from-space.
void Semispace::collect(bool /*young*/) {
  // Everything in from-space might survive: to-space's first block holds it all, so the
  // copies of one collection sit in one block.
  reserve_.reset(active_.used());
  Space::Position scan;
  copy_roots();
  scan_copied(scan);
  handle_weak_references();
  std::vector<Object*> finalizable = find_finalizable();
  copy_finalizable(finalizable, scan);
  const std::int64_t freed = report_freed();
  flip();
  run_finalizers(finalizable);
  observer_.collected(freed);
  end_op();
}

// Copies the objects the roots hold (strong variables, `revived`, `garbage`) and points the
// roots at the copies.
void Semispace::copy_roots() {
  for (auto& [name, o] : variables_) o = forward(o);
  if (bug_ != Bug::revived_not_a_root) {
    for (Object*& o : revived_) o = forward(o);
  }
  for (Object*& o : garbage_list_) o = forward(o);
}

// Cheney's scan: the to-space objects between `scan` and the allocation top are the grey
// ones; forwarding their slots copies what they reach to the top, breadth first, without
// recursion, until the scan catches up with the top.
void Semispace::scan_copied(Space::Position& scan) {
  reserve_.scan_from(scan, [&](Object* o) {
    for (int i = 0; i < o->slot_count; ++i) o->slots()[i] = forward(o->slots()[i]);
  });
}

Object* Semispace::forward(Object* o) {
  if (o == nullptr) return nullptr;
  if (o->forward != nullptr) return o->forward;
  const std::size_t size = o->size();
  Object* copy = static_cast<Object*>(reserve_.allocate(size));
  std::memcpy(static_cast<void*>(copy), o, size);
  o->forward = copy;
  return copy;
}

// Java clears the weak references to all of U, finalizable survivors included: so this runs
// before the K pass copies them. 1. A referent that was copied is reachable: the weak
// variable follows it to to-space. 2. Any other is trash: the variable is cleared. 3. The
// callbacks run once all are cleared.
void Semispace::handle_weak_references() {
  std::vector<std::string_view> callbacks;
  for (auto& [name, w] : weak_) {
    if (w.referent == nullptr) continue;
    if (w.referent->forward != nullptr) {
      if (bug_ != Bug::stale_weak_references) w.referent = w.referent->forward;
      continue;
    }
    w.referent = nullptr;
    observer_.cleared(name);
    if (w.callback) callbacks.push_back(name);
  }
  for (std::string_view name : callbacks) observer_.callback_ran(name);
}

// F: the trash (not copied) with a finalizer (any kind; `legacy` acts as `log`) that has
// never run. A linear walk of from-space, which every object's header makes possible.
std::vector<Object*> Semispace::find_finalizable() const {
  std::vector<Object*> finalizable;
  active_.for_each_object([&](Object* o) {
    if (o->forward == nullptr && o->fin != Finalizer::none && !(o->flags & Object::kFinalized)) {
      finalizable.push_back(o);
    }
  });
  return finalizable;
}

// K: F and everything it reaches survive this collection. 1. Copies F (the entries become
// to-space addresses). 2. Continues the Cheney scan from where the reachable pass stopped,
// which copies what F reaches and forwards the slots of everything copied here.
void Semispace::copy_finalizable(std::vector<Object*>& finalizable, Space::Position& scan) {
  for (Object*& o : finalizable) o = forward(o);
  if (bug_ != Bug::finalizable_unscanned) scan_copied(scan);
}

// U minus K: what was not copied is freed. Returns how many.
std::int64_t Semispace::report_freed() {
  std::int64_t freed = 0;
  active_.for_each_object([&](Object* o) {
    if (o->forward != nullptr) return;
    observer_.freed(o->id);
    ++freed;
  });
  return freed;
}

// From-space is poisoned whole, so any pointer that a phase forgot to forward traps on its
// next use; then the spaces trade roles.
void Semispace::flip() {
  active_.poison_all();
  active_.swap(reserve_);
}

// Finalizers run in id order, on the copies, after the flip: an `alloc` finalizer allocates
// in the new active space like the mutator.
void Semispace::run_finalizers(std::vector<Object*>& finalizable) {
  std::sort(finalizable.begin(), finalizable.end(),
            [](Object* a, Object* b) { return a->id < b->id; });
  for (Object* o : finalizable) run_finalizer(o);
}

// Marks `o` finalized, reports it and performs the finalizer's effect (SPEC.md section 1).
// Nothing dies here: an `alloc` finalizer's overwritten slot 0 only loses a reference.
void Semispace::run_finalizer(Object* o) {
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
      Object* fresh = new_object(0, Finalizer::none, finalizer_allocations_.provisional(o->id));
      unnumbered_.push_back(fresh);
      if (o->slot_count > 0) o->slots()[0] = fresh;  // else it is trash until the next collect
      break;
    }
  }
}

void Semispace::end_op() {
  for (const auto& [provisional, final] : finalizer_allocations_.settle(next_id_, observer_)) {
    for (Object* o : unnumbered_) {
      if (o->id == provisional) o->id = final;
    }
  }
  unnumbered_.clear();
}

// ---- HeapView ----

void Semispace::for_each_variable(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, o] : variables_) f(name, o);
}

void Semispace::for_each_weak(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, w] : weak_) f(name, w.referent);
}

void Semispace::for_each_in_list(RootList list, const std::function<void(Ref)>& f) const {
  for (Object* o : list == RootList::revived ? revived_ : garbage_list_) f(o);
}

// Every object in the active space is live: a collection leaves only copies there.
void Semispace::for_each_object(const std::function<void(Ref)>& f) const {
  active_.for_each_object([&](const Object* o) { f(o); });
}

}  // namespace gcfuzz::semispace

namespace gcfuzz {

namespace {

using semispace::Bug;

constexpr Capabilities kCapabilities{.policy = Policy::java,
                                     .precision = Precision::exact,
                                     .collects_cycles = true,
                                     .generational = false,
                                     .moving = true,
                                     .incremental = false,
                                     .refcounts = false};

template <Bug B>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<semispace::Semispace>(observer, B);
}

}  // namespace

std::span<const CollectorInfo> semispace_collectors() {
  static const CollectorInfo entries[] = {
      {"semispace:java",
       "Cheney semispace copying collector, Java finalization; from-space poisoned after a flip",
       kCapabilities, "", make<Bug::none>},
      {"semispace:java~stale-weakrefs",
       "does not forward weak referents that survive: they point into poisoned from-space",
       kCapabilities, "semispace:java", make<Bug::stale_weak_references>},
      {"semispace:java~revived-not-root",
       "neither traces nor forwards the revived list: resurrected objects are freed", kCapabilities,
       "semispace:java", make<Bug::revived_not_a_root>},
      {"semispace:java~unscanned-finalizable",
       "copies finalizable trash but does not scan it: its slots keep from-space addresses",
       kCapabilities, "semispace:java", make<Bug::finalizable_unscanned>},
  };
  return entries;
}

}  // namespace gcfuzz
