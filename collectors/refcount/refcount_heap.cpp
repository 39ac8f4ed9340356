// The reference-counted heap: stores, deaths, finalizers, weak references.
#include "collectors/refcount/refcount_heap.h"

#include <algorithm>
#include <new>
#include <stdexcept>

namespace gcfuzz::refcounting {

// ---- ObjectList ----

void ObjectList::append(Object* o) {
  o->gc_prev = head_.gc_prev;
  o->gc_next = &head_;
  head_.gc_prev->gc_next = o;
  head_.gc_prev = o;
}

void ObjectList::unlink(Object* o) {
  o->gc_prev->gc_next = o->gc_next;
  o->gc_next->gc_prev = o->gc_prev;
  o->gc_prev = o->gc_next = nullptr;
}

void ObjectList::merge_into(ObjectList& to) {
  if (empty()) return;
  Object* first = head_.gc_next;
  Object* last = head_.gc_prev;
  first->gc_prev = to.head_.gc_prev;
  to.head_.gc_prev->gc_next = first;
  last->gc_next = &to.head_;
  to.head_.gc_prev = last;
  head_.gc_prev = head_.gc_next = &head_;
}

std::size_t ObjectList::size() const {
  std::size_t n = 0;
  for (Object* o = first(); o != nullptr; o = next(o)) ++n;
  return n;
}

// ---- RefcountHeap: set-up ----

RefcountHeap::RefcountHeap(Observer& observer, Policy policy, RefcountBug bug)
    : observer_(observer), policy_(policy), bug_(bug) {
  if (!counts_references(policy)) {
    throw std::invalid_argument("a reference-counted heap needs a reference-counting policy");
  }
}

RefcountHeap::~RefcountHeap() {
  for (auto& [name, w] : weak_) delete w;
  // Object memory goes with memory_.
}

// The payload follows the slots in the object's block, filled (fill_payload).
Object* RefcountHeap::new_object(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) {
  void* block = memory_.allocate(sizeof(Object) + slots * sizeof(Object*) + payload);
  Object* o = new (block) Object{};
  o->id = id;
  o->slot_count = static_cast<std::uint8_t>(slots);
  o->payload = payload;
  o->fin = fin;
  std::fill_n(o->slots(), slots, nullptr);
  fill_payload(id, {reinterpret_cast<std::byte*>(o->slots() + slots), payload});
  young_.append(o);
  return o;
}

Object* RefcountHeap::lookup(std::string_view var) const {
  auto it = variables_.find(var);
  return it == variables_.end() ? nullptr : it->second;
}

// The new value is referenced before the old one is released, as CPython stores.
void RefcountHeap::set_variable(std::string_view var, Object* value) {
  Object* old = nullptr;
  auto it = variables_.find(var);
  if (it != variables_.end()) old = it->second;
  if (value != nullptr) {
    incref(value);
    if (it != variables_.end()) {
      it->second = value;
    } else {
      variables_.emplace(std::string(var), value);
    }
  } else if (it != variables_.end()) {
    variables_.erase(it);
  }
  if (old != nullptr) decref(old);
}

// ---- Mutator ops ----

void RefcountHeap::alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) {
  set_variable(var, new_object(slots, fin, payload, ObjectId{next_id_++}));
  drain_deaths();
  end_op();
}

void RefcountHeap::link(std::string_view target, int slot, std::string_view source) {
  Object* t = lookup(target);
  Object* s = lookup(source);
  if (t != nullptr && s != nullptr && slot < t->slot_count) {
    Object* old = t->slots()[slot];
    incref(s);
    t->slots()[slot] = s;
    if (old != nullptr && bug_ != RefcountBug::link_keeps_old_reference) decref(old);
    drain_deaths();
  }
  end_op();
}

void RefcountHeap::unlink(std::string_view target, int slot) {
  Object* t = lookup(target);
  if (t != nullptr && slot < t->slot_count) {
    Object* old = t->slots()[slot];
    t->slots()[slot] = nullptr;
    if (old != nullptr) decref(old);
    drain_deaths();
  }
  end_op();
}

void RefcountHeap::load(std::string_view var, std::string_view source, int slot) {
  Object* s = lookup(source);
  if (s != nullptr && slot < s->slot_count) {
    set_variable(var, s->slots()[slot]);
    drain_deaths();
  }
  end_op();
}

void RefcountHeap::copy(std::string_view var, std::string_view source) {
  if (Object* s = lookup(source)) {
    set_variable(var, s);
    drain_deaths();
  }
  end_op();
}

void RefcountHeap::drop(std::string_view var) {
  forget_weak(var);
  set_variable(var, nullptr);
  drain_deaths();
  end_op();
}

void RefcountHeap::weak(std::string_view weak, std::string_view var, bool callback) {
  Object* referent = lookup(var);
  if (referent == nullptr) return end_op();
  forget_weak(weak);
  WeakRef* w = new WeakRef{std::string(weak), referent, callback, nullptr, referent->weak_list};
  if (referent->weak_list != nullptr) referent->weak_list->prev = w;
  referent->weak_list = w;
  weak_.emplace(std::string(weak), w);
  end_op();
}

void RefcountHeap::forget_weak(std::string_view weak) {
  auto it = weak_.find(weak);
  if (it == weak_.end()) return;
  WeakRef* w = it->second;
  if (w->referent != nullptr) {
    if (w->prev != nullptr) {
      w->prev->next = w->next;
    } else {
      w->referent->weak_list = w->next;
    }
    if (w->next != nullptr) w->next->prev = w->prev;
  }
  weak_.erase(it);
  delete w;
}

void RefcountHeap::deref(std::string_view var, std::string_view weak) {
  auto it = weak_.find(weak);
  if (it != weak_.end()) {
    set_variable(var, it->second->referent);
    drain_deaths();
  }
  end_op();
}

void RefcountHeap::collect(bool /*young*/) {
  observer_.collected(0);
  end_op();
}

void RefcountHeap::clear(RootList list) {
  std::vector<Object*> released;
  released.swap(list == RootList::revived ? revived_ : garbage_list_);
  for (Object* o : released) decref(o);
  drain_deaths();
  end_op();
}

// ---- Deaths ----

void RefcountHeap::decref(Object* o) {
  if (--o->refcount == 0) {
    pending_deaths_.push_back(o);
  } else {
    decremented_to_nonzero(o);
  }
}

// A work list rather than recursion: a long chain cascades without deepening the stack.
// The order of deaths inside one cascade does not change the op's events.
void RefcountHeap::drain_deaths() {
  while (!pending_deaths_.empty()) {
    Object* o = pending_deaths_.back();
    pending_deaths_.pop_back();
    die(o);
  }
}

void RefcountHeap::die(Object* o) {
  if (is_legacy_policy()) {
    // SPEC.md 3.3: weak references first; then any finalizer, at every death.
    run_callbacks(clear_weak_references(o));
    if (o->fin != Finalizer::none) {
      o->refcount = 1;  // held while the finalizer runs
      run_finalizer(o);
      if (--o->refcount > 0 && bug_ != RefcountBug::free_resurrected) {
        retrack(o);
        return;
      }
    }
    return free_object(o);
  }
  // SPEC.md 3.1, "Refcount death".
  // 1-2. A PEP 442 finalizer that never ran runs now; it may resurrect the object.
  const bool finalize = has_pep442_finalizer(o) &&
                        (!(o->flags & Object::kFinalized) || bug_ == RefcountBug::finalize_twice);
  if (finalize) {
    if (bug_ == RefcountBug::weakrefs_before_finalizer) run_callbacks(clear_weak_references(o));
    o->refcount = 1;
    run_finalizer(o);
    if (--o->refcount > 0 && bug_ != RefcountBug::free_resurrected) {
      retrack(o);
      return;
    }
  }
  // 3. Weak references are cleared, then their callbacks run.
  run_callbacks(clear_weak_references(o));
  // 4. A legacy finalizer (tp_del) runs at every death; it does nothing here.
  if (o->fin == Finalizer::legacy) observer_.finalized(o->id);
  // 5. Slots are released, then the object is freed.
  free_object(o);
}

// A resurrected object is tracked again as if new: young, and out of any collection's
// working list (SPEC.md section 4).
void RefcountHeap::retrack(Object* o) {
  o->gc_flags = 0;
  young_.move_here(o);
}

void RefcountHeap::run_finalizer(Object* o) {
  o->flags |= Object::kFinalized;
  observer_.finalized(o->id);
  switch (o->fin) {
    case Finalizer::none:
    case Finalizer::log:
    case Finalizer::legacy:
      break;
    case Finalizer::resurrect:
      revived_.push_back(o);
      incref(o);
      break;
    case Finalizer::alloc: {
      Object* fresh = new_object(0, Finalizer::none, 0, finalizer_allocations_.provisional(o->id));
      unnumbered_.push_back(fresh);
      if (o->slot_count == 0) {
        pending_deaths_.push_back(fresh);  // the finalizer's only reference goes away
        break;
      }
      Object* old = o->slots()[0];
      o->slots()[0] = fresh;
      incref(fresh);
      if (old != nullptr) decref(old);
      break;
    }
  }
}

std::vector<std::string> RefcountHeap::clear_weak_references(Object* o) {
  std::vector<std::string> with_callback;
  for (WeakRef* w = o->weak_list; w != nullptr;) {
    WeakRef* next = w->next;
    w->referent = nullptr;
    w->prev = w->next = nullptr;
    observer_.cleared(w->name);
    if (w->callback) with_callback.push_back(w->name);
    w = next;
  }
  o->weak_list = nullptr;
  return with_callback;
}

void RefcountHeap::run_callbacks(const std::vector<std::string>& weak_variables) {
  for (const std::string& name : weak_variables) observer_.callback_ran(name);
}

void RefcountHeap::append_garbage(Object* o) {
  garbage_list_.push_back(o);
  incref(o);
  observer_.appended_to_garbage(o->id);
}

// REQUIRES: nothing refers to `o` any more (its weak references included).
void RefcountHeap::free_object(Object* o) {
  observer_.freed(o->id);
  ObjectList::unlink(o);
  if (FinalizerAllocations::is_provisional(o->id)) {
    std::erase(unnumbered_, o);
  }
  for (int i = 0; i < o->slot_count; ++i) {
    if (Object* target = o->slots()[i]) {
      o->slots()[i] = nullptr;
      decref(target);
    }
  }
  about_to_free(o);
  memory_.release(o, bytes_of(o));
}

void RefcountHeap::end_op() {
  for (const auto& [provisional, final] : finalizer_allocations_.settle(next_id_, observer_)) {
    for (Object* o : unnumbered_) {
      if (o->id == provisional) o->id = final;
    }
  }
  unnumbered_.clear();
}

// ---- HeapView ----

void RefcountHeap::for_each_variable(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, o] : variables_) f(name, o);
}

void RefcountHeap::for_each_weak(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, w] : weak_) f(name, w->referent);
}

void RefcountHeap::for_each_in_list(RootList list, const std::function<void(Ref)>& f) const {
  for (Object* o : list == RootList::revived ? revived_ : garbage_list_) f(o);
}

void RefcountHeap::for_each_object(const std::function<void(Ref)>& f) const {
  young_.for_each(f);
  old_.for_each(f);
}

}  // namespace gcfuzz::refcounting
