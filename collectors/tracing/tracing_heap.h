// The mutator side that every tracing collector shares: roots, weak variables, the nine
// mutator ops with the trace language's no-op rules, finalizer effects and numbering.
//
// A tracing collector derives from TracingHeap<Object> over its own object type and writes
// only what is particular to it: where objects live (`allocate`, `for_each_object`), how a
// collection traces (`collect`), and, if it needs them, barriers on stores (the hooks
// below). The Java finalization steps that do not depend on how a collector marks are here
// too: clearing weak references into the trash, and running finalizers in id order.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gcfuzz/collector.hpp"

namespace gcfuzz::tracing {

// What TracingHeap needs of a collector's object: its id, slot count, payload size and
// finalizer kind, a `flags` byte whose Object::kFinalized bit says the finalizer has run (java
// finalizes at most once), and its slots, followed in the same block by the payload
// (`bytes_for`). The rest of the layout (marks, forwarding, list links) is the collector's own.
template <class Object>
concept TracedObject = requires(Object& o, const Object& c) {
  requires std::same_as<decltype(o.id), ObjectId>;
  requires std::same_as<decltype(o.slot_count), std::uint8_t>;
  requires std::same_as<decltype(o.payload), std::uint32_t>;
  requires std::same_as<decltype(o.fin), Finalizer>;
  requires std::same_as<decltype(o.flags), std::uint8_t>;
  { Object::kFinalized } -> std::convertible_to<std::uint8_t>;
  { o.slots() } -> std::same_as<Object**>;
  { c.slots() } -> std::same_as<Object* const*>;
};

// The mutator ops of the trace language but `collect`: what `before_op` and `root_stored`
// are told.
enum class MutatorOp : std::uint8_t { alloc, link, unlink, load, copy, drop, weak, deref, clear };

// Who stores into a slot: the mutator (`link`) or the runtime, when an `alloc` finalizer
// puts its new object in slot 0 (during a collection).
enum class StoredBy : std::uint8_t { mutator, finalizer };

// Implements the mutator ops and the HeapView of the roots once. Mutator ops only change
// roots and slots: nothing dies between collections, so they need no collector code, except
// for the hooks, which are how a collector learns of the stores its barriers watch.
//
// Roots: the strong variables (non-null ones only: an unbound and a null variable read the
// same), `revived` and `garbage`. The tracing policies never append to `garbage`; `clear
// garbage` empties it all the same, and it is a root.
template <TracedObject Object>
class TracingHeap : public Collector, protected HeapView {
 public:
  // Each op: before_op, the op's lookups and stores (with their hooks), end_op.
  void alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) final;
  void link(std::string_view target, int slot, std::string_view source) final;
  void unlink(std::string_view target, int slot) final;
  void load(std::string_view var, std::string_view source, int slot) final;
  void copy(std::string_view var, std::string_view source) final;
  // A weak variable first (its own namespace), then the strong one.
  void drop(std::string_view var) final;
  // A weak variable is no root: binding one calls no hook.
  void weak(std::string_view weak, std::string_view var, bool callback) final;
  void deref(std::string_view var, std::string_view weak) final;
  void clear(RootList list) final;

  const HeapView& view() const final { return *this; }

 protected:
  explicit TracingHeap(Observer& observer) : observer_(observer) {}

  // ---- Hooks: who calls them, and when ----

  // A new object with `slots` null slots, referenced from nowhere yet. Called by `alloc`
  // (then stored in its variable) and by an `alloc` finalizer during a collection (a 0-slot
  // object with a provisional id, renumbered by end_op).
  // `payload` bytes follow the slots in the object's block (bytes_for).
  virtual Object* allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) = 0;

  // Called once at the start of every mutator op (every op but `collect`), before it looks
  // anything up.
  virtual void before_op(MutatorOp /*op*/) {}

  // Called after `holder`'s slot was set to `value` (never null: `unlink` stores nothing):
  // by `link`, and by an `alloc` finalizer storing its new object in slot 0. The old target's
  // deletion is reported after this.
  virtual void slot_stored(Object* /*holder*/, Object* /*value*/, StoredBy /*by*/) {}

  // Called after a strong variable was set to `value` (never null): by `alloc` (a new object),
  // `load`, `copy` and `deref` (an existing one). The old target's deletion is reported after.
  // Finalizers' appends to `revived` call no hook: they run inside a collection.
  virtual void root_stored(Object* /*value*/, MutatorOp /*op*/) {}

  // Called after references to `targets` were deleted: one target when a slot or a variable
  // is overwritten, unlinked or dropped (storing the value already there deletes nothing);
  // every object of a root list that `clear` emptied, at once.
  virtual void references_deleted(std::span<Object* const> /*targets*/) {}

  // Called at the end of every op, `collect` included, once this op's finalizer allocations
  // have their final ids.
  virtual void after_op() {}

  // ---- Helpers for the collector ----

  // The block an object needs: header, slots, payload.
  static std::size_t bytes_for(int slots, std::uint32_t payload) {
    return sizeof(Object) + slots * sizeof(Object*) + payload;
  }
  static std::size_t bytes_of(const Object* o) { return bytes_for(o->slot_count, o->payload); }

  // For `allocate`: starts an object's life in `block` (bytes_for(slots, payload)): its header
  // zeroed but for id, slot count, payload size and finalizer kind, its slots null, its
  // payload filled (fill_payload).
  static Object* init_object(void* block, int slots, Finalizer fin, std::uint32_t payload,
                             ObjectId id);

  // Calls f on every root slot: the strong variables, then `revived`, then `garbage` (a
  // moving collector assigns the new address through the reference).
  template <class F>
  void for_each_root(F&& f);
  template <class F>
  void for_each_root(F&& f) const;

  // Java's weak reference step (SPEC.md 3.4), for a collector that has decided what survives:
  // 1. `surviving_address(referent)` says where each bound weak variable's referent survives
  //    this collection (its own address, or its copy's), or null if it is trash;
  // 2. a surviving referent's variable follows it; a trash one's is cleared;
  // 3. once all are cleared, the callbacks of the cleared variables run, in name order.
  template <class SurvivingAddress>
  void clear_weak_references_to_trash(SurvivingAddress&& surviving_address);

  // Whether `o`, if it is trash, belongs to F: it has a finalizer (any kind; `legacy` acts
  // as `log`) that never ran.
  static bool has_unrun_finalizer(const Object* o) {
    return o->fin != Finalizer::none && !(o->flags & Object::kFinalized);
  }

  // Runs the finalizers of `finalizable` in id order (sorting it): each object is marked
  // finalized, reported, and its effect performed (SPEC.md section 1): `resurrect` appends it
  // to `revived`; `alloc` allocates a 0-slot object and stores it in slot 0, if there is one
  // (else the new object is trash until the next collection). Nothing dies here: an
  // overwritten slot 0 only loses a reference. REQUIRES: what the finalizers can reach
  // survives this collection, at the addresses they will run with.
  void run_finalizers(std::vector<Object*>& finalizable);

  // Reports the value `collect` returns and ends the op; a collection's last step.
  void end_collection(std::int64_t freed) {
    observer_.collected(freed);
    end_op();
  }

  Observer& observer_;
  // The roots. Ordered by name, so a collection visits them in the same order on every run.
  std::map<std::string, Object*, std::less<>> variables_;  // bound, non-null
  std::vector<Object*> revived_;
  std::vector<Object*> garbage_list_;

 private:
  struct WeakVariable {
    Object* referent = nullptr;  // null once cleared
    bool callback = false;
  };

  Object* lookup(std::string_view var) const;
  // Sets or unbinds (null) a variable, then reports the store and the deletion.
  void set_variable(std::string_view var, Object* value, MutatorOp op);
  void store_slot(Object* holder, int index, Object* value, StoredBy by);
  void reference_deleted(Object* old, Object* value);
  void run_finalizer(Object* o);
  // Numbers this op's finalizer allocations (SPEC.md section 1), then after_op.
  void end_op();

  // HeapView, but for_each_object: which objects exist is the collector's business.
  void for_each_variable(const std::function<void(std::string_view, Ref)>& f) const final;
  void for_each_weak(const std::function<void(std::string_view, Ref)>& f) const final;
  void for_each_in_list(RootList list, const std::function<void(Ref)>& f) const final;
  Ref variable(std::string_view name) const final { return lookup(name); }
  ObjectId id(Ref o) const final { return static_cast<const Object*>(o)->id; }
  int slot_count(Ref o) const final { return static_cast<const Object*>(o)->slot_count; }
  Ref slot(Ref o, int i) const final { return static_cast<const Object*>(o)->slots()[i]; }
  std::optional<std::span<const std::byte>> payload(Ref r) const final {
    const auto* o = static_cast<const Object*>(r);
    return std::span{reinterpret_cast<const std::byte*>(o->slots() + o->slot_count), o->payload};
  }

  std::map<std::string, WeakVariable, std::less<>> weak_;
  FinalizerAllocations finalizer_allocations_;
  std::vector<Object*> unnumbered_;  // this op's finalizer allocations
  std::uint32_t next_id_ = 0;
};

// ---- Definitions ----

template <TracedObject Object>
void TracingHeap<Object>::alloc(std::string_view var, int slots, Finalizer fin,
                                std::uint32_t payload) {
  before_op(MutatorOp::alloc);
  set_variable(var, allocate(slots, fin, payload, ObjectId{next_id_++}), MutatorOp::alloc);
  end_op();
}

template <TracedObject Object>
void TracingHeap<Object>::link(std::string_view target, int slot, std::string_view source) {
  before_op(MutatorOp::link);
  Object* t = lookup(target);
  Object* s = lookup(source);
  if (t != nullptr && s != nullptr && slot < t->slot_count) {
    store_slot(t, slot, s, StoredBy::mutator);
  }
  end_op();
}

template <TracedObject Object>
void TracingHeap<Object>::unlink(std::string_view target, int slot) {
  before_op(MutatorOp::unlink);
  Object* t = lookup(target);
  if (t != nullptr && slot < t->slot_count) store_slot(t, slot, nullptr, StoredBy::mutator);
  end_op();
}

template <TracedObject Object>
void TracingHeap<Object>::load(std::string_view var, std::string_view source, int slot) {
  before_op(MutatorOp::load);
  Object* s = lookup(source);
  if (s != nullptr && slot < s->slot_count) set_variable(var, s->slots()[slot], MutatorOp::load);
  end_op();
}

template <TracedObject Object>
void TracingHeap<Object>::copy(std::string_view var, std::string_view source) {
  before_op(MutatorOp::copy);
  if (Object* s = lookup(source)) set_variable(var, s, MutatorOp::copy);
  end_op();
}

template <TracedObject Object>
void TracingHeap<Object>::drop(std::string_view var) {
  before_op(MutatorOp::drop);
  if (auto it = weak_.find(var); it != weak_.end()) weak_.erase(it);
  set_variable(var, nullptr, MutatorOp::drop);
  end_op();
}

template <TracedObject Object>
void TracingHeap<Object>::weak(std::string_view weak, std::string_view var, bool callback) {
  before_op(MutatorOp::weak);
  if (Object* referent = lookup(var)) {
    weak_.insert_or_assign(std::string(weak), WeakVariable{referent, callback});
  }
  end_op();
}

template <TracedObject Object>
void TracingHeap<Object>::deref(std::string_view var, std::string_view weak) {
  before_op(MutatorOp::deref);
  if (auto it = weak_.find(weak); it != weak_.end()) {
    set_variable(var, it->second.referent, MutatorOp::deref);
  }
  end_op();
}

template <TracedObject Object>
void TracingHeap<Object>::clear(RootList list) {
  before_op(MutatorOp::clear);
  std::vector<Object*> released;
  released.swap(list == RootList::revived ? revived_ : garbage_list_);
  if (!released.empty()) references_deleted(released);
  end_op();
}

template <TracedObject Object>
Object* TracingHeap<Object>::init_object(void* block, int slots, Finalizer fin,
                                         std::uint32_t payload, ObjectId id) {
  Object* o = new (block) Object{};
  o->id = id;
  o->slot_count = static_cast<std::uint8_t>(slots);
  o->payload = payload;
  o->fin = fin;
  std::fill_n(o->slots(), slots, nullptr);
  fill_payload(id, {reinterpret_cast<std::byte*>(o->slots() + slots), payload});
  return o;
}

template <TracedObject Object>
Object* TracingHeap<Object>::lookup(std::string_view var) const {
  auto it = variables_.find(var);
  return it == variables_.end() ? nullptr : it->second;
}

template <TracedObject Object>
void TracingHeap<Object>::set_variable(std::string_view var, Object* value, MutatorOp op) {
  auto it = variables_.find(var);
  Object* old = it == variables_.end() ? nullptr : it->second;
  if (value == nullptr) {
    if (it != variables_.end()) variables_.erase(it);
  } else if (it != variables_.end()) {
    it->second = value;
  } else {
    variables_.emplace(std::string(var), value);
  }
  if (value != nullptr) root_stored(value, op);
  reference_deleted(old, value);
}

template <TracedObject Object>
void TracingHeap<Object>::store_slot(Object* holder, int index, Object* value, StoredBy by) {
  Object* old = holder->slots()[index];
  holder->slots()[index] = value;
  if (value != nullptr) slot_stored(holder, value, by);
  reference_deleted(old, value);
}

// `old` was replaced by `value`: a deletion unless it was null or is stored again.
template <TracedObject Object>
void TracingHeap<Object>::reference_deleted(Object* old, Object* value) {
  if (old == nullptr || old == value) return;
  Object* const deleted[] = {old};
  references_deleted(deleted);
}

template <TracedObject Object>
template <class F>
void TracingHeap<Object>::for_each_root(F&& f) {
  for (auto& [name, o] : variables_) f(o);
  for (Object*& o : revived_) f(o);
  for (Object*& o : garbage_list_) f(o);
}

template <TracedObject Object>
template <class F>
void TracingHeap<Object>::for_each_root(F&& f) const {
  for (const auto& [name, o] : variables_) f(o);
  for (Object* o : revived_) f(o);
  for (Object* o : garbage_list_) f(o);
}

template <TracedObject Object>
template <class SurvivingAddress>
void TracingHeap<Object>::clear_weak_references_to_trash(SurvivingAddress&& surviving_address) {
  std::vector<std::string_view> callbacks;
  for (auto& [name, w] : weak_) {
    if (w.referent == nullptr) continue;
    if (Object* survivor = surviving_address(w.referent)) {
      w.referent = survivor;
      continue;
    }
    w.referent = nullptr;
    observer_.cleared(name);
    if (w.callback) callbacks.push_back(name);
  }
  for (std::string_view name : callbacks) observer_.callback_ran(name);
}

template <TracedObject Object>
void TracingHeap<Object>::run_finalizers(std::vector<Object*>& finalizable) {
  std::sort(finalizable.begin(), finalizable.end(),
            [](const Object* a, const Object* b) { return a->id < b->id; });
  for (Object* o : finalizable) run_finalizer(o);
}

template <TracedObject Object>
void TracingHeap<Object>::run_finalizer(Object* o) {
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
      unnumbered_.push_back(fresh);
      if (o->slot_count > 0) store_slot(o, 0, fresh, StoredBy::finalizer);
      break;
    }
  }
}

template <TracedObject Object>
void TracingHeap<Object>::end_op() {
  if (!unnumbered_.empty()) {
    // Provisional ids are the creators' ids with a high bit set, so sorting by id sorts by
    // creator: the order `settle` numbers them in.
    std::sort(unnumbered_.begin(), unnumbered_.end(),
              [](const Object* a, const Object* b) { return a->id < b->id; });
    const auto renames = finalizer_allocations_.settle(next_id_, observer_);
    for (std::size_t i = 0; i < renames.size(); ++i) unnumbered_[i]->id = renames[i].second;
    unnumbered_.clear();
  }
  after_op();
}

template <TracedObject Object>
void TracingHeap<Object>::for_each_variable(
    const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, o] : variables_) f(name, o);
}

template <TracedObject Object>
void TracingHeap<Object>::for_each_weak(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, w] : weak_) f(name, w.referent);
}

template <TracedObject Object>
void TracingHeap<Object>::for_each_in_list(RootList list, const std::function<void(Ref)>& f) const {
  for (const Object* o : list == RootList::revived ? revived_ : garbage_list_) f(o);
}

}  // namespace gcfuzz::tracing
