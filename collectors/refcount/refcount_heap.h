// A reference-counted heap with CPython's object discipline: counts kept on every store,
// deaths cascading through a work list, PEP 442 or legacy finalization, weak references
// with callbacks, the `revived` and `garbage` lists. On its own it is `refcount:pep442`
// (cycles leak); cycle collectors such as trial deletion build on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/heap_memory.h"
#include "gcfuzz/collector.hpp"

namespace gcfuzz::refcounting {

struct WeakRef;

// An object: this header, then `slot_count` object pointers.
//
// Flag encodings, documented once:
// - `flags`: kFinalized is PEP 442's FINALIZED mark (the finalizer has run; it survives
//   resurrection).
// - `gc_flags`: scratch for a cycle collection, clear between collections. kCollecting: the
//   object is in the set being examined. kReachable: found reachable in the current phase.
//   kUnreachable: on the collection's unreachable list.
// - `gc_prev`/`gc_next`: the object's place in a generation list (or in one of a
//   collection's working lists); an object is on exactly one list while it lives.
struct Object {
  static constexpr std::uint8_t kFinalized = 1;
  static constexpr std::uint8_t kCollecting = 1, kReachable = 2, kUnreachable = 4;

  ObjectId id;
  std::uint8_t slot_count;
  Finalizer fin;
  std::uint8_t flags;
  std::uint8_t gc_flags;
  std::uint32_t payload;  // bytes after the slots (`alloc V N bytes=B`)
  std::int64_t refcount;
  Object* gc_prev;
  Object* gc_next;
  std::int64_t gc_refs;  // a collection's copy of refcount, minus internal references
  WeakRef* weak_list;    // the weak variables referring to this object

  Object** slots() { return reinterpret_cast<Object**>(this + 1); }
  Object* const* slots() const { return reinterpret_cast<Object* const*>(this + 1); }
};
static_assert(sizeof(Object) % alignof(Object*) == 0);

// A weak variable: linked into its referent's weak list until cleared or forgotten.
struct WeakRef {
  std::string name;
  Object* referent = nullptr;  // null once cleared
  bool callback = false;
  WeakRef* prev = nullptr;
  WeakRef* next = nullptr;
};

// A circular doubly linked list of objects through gc_prev/gc_next, with a sentinel head,
// as CPython's generation lists. Removal is O(1) whichever list an object is on.
class ObjectList {
 public:
  ObjectList() { head_.gc_prev = head_.gc_next = &head_; }
  ObjectList(const ObjectList&) = delete;
  ObjectList& operator=(const ObjectList&) = delete;

  bool empty() const { return head_.gc_next == &head_; }
  Object* first() const { return empty() ? nullptr : head_.gc_next; }
  Object* next(Object* o) const { return o->gc_next == &head_ ? nullptr : o->gc_next; }
  void append(Object* o);
  static void unlink(Object* o);
  void move_here(Object* o) {
    unlink(o);
    append(o);
  }
  void merge_into(ObjectList& to);  // moves every object of this list to the end of `to`
  std::size_t size() const;
  template <class F>
  void for_each(F&& f) const {
    for (Object* o = first(); o != nullptr;) {
      Object* after = next(o);  // f may move o to another list
      f(o);
      o = after;
    }
  }

 private:
  mutable Object head_{};
};

// Planted bugs of the reference-counting core (gcfuzz selftest must catch each).
enum class RefcountBug : std::uint8_t {
  none,
  finalize_twice,             // the FINALIZED mark is not checked at a refcount death
  weakrefs_before_finalizer,  // weak refs cleared before a PEP 442 finalizer (lost on resurrection)
  link_keeps_old_reference,   // link overwrites a slot without releasing its old target
  free_resurrected,           // the count is not re-read after the finalizer: resurrection ignored
};

class RefcountHeap : public Collector, protected HeapView {
 public:
  // REQUIRES: policy is pep442, pep442_whole or legacy.
  RefcountHeap(Observer& observer, Policy policy, RefcountBug bug = RefcountBug::none);
  ~RefcountHeap() override;

  void alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) override;
  void link(std::string_view target, int slot, std::string_view source) override;
  void unlink(std::string_view target, int slot) override;
  void load(std::string_view var, std::string_view source, int slot) override;
  void copy(std::string_view var, std::string_view source) override;
  void drop(std::string_view var) override;
  void weak(std::string_view weak, std::string_view var, bool callback) override;
  void deref(std::string_view var, std::string_view weak) override;
  // Pure reference counting has no cycle collector: nothing to do.
  void collect(bool young) override;
  void clear(RootList list) override;

  const HeapView& view() const override { return *this; }

 protected:
  // ---- For cycle collectors built on this heap ----
  void incref(Object* o) { ++o->refcount; }
  // Releases a reference; an object whose count reaches 0 is queued to die.
  void decref(Object* o);
  // Runs every queued death to completion (cascades included).
  void drain_deaths();
  // The refcount death of SPEC.md 3.1 / 3.3, for an object whose count is 0.
  void die(Object* o);
  void retrack(Object* o);
  // Marks `o` finalized, reports it and performs the finalizer's effect. The caller holds
  // a reference to `o`.
  void run_finalizer(Object* o);
  // Clears every weak variable referring to `o`; returns those with a callback, to run
  // once all are cleared.
  std::vector<std::string> clear_weak_references(Object* o);
  void run_callbacks(const std::vector<std::string>& weak_variables);
  // Appends `o` to the garbage list (a strong reference) and reports it.
  void append_garbage(Object* o);
  // Numbers this op's finalizer allocations (SPEC.md section 1); every op ends with it.
  void end_op();

  // Hooks for cycle collectors that track candidate roots (Bacon-Rajan): a decrement left
  // the count above zero; the object's memory is about to be released.
  virtual void decremented_to_nonzero(Object*) {}
  virtual void about_to_free(Object*) {}

  bool is_legacy_policy() const { return policy_ == Policy::legacy; }
  // The finalizers a collection must set aside, under this policy.
  bool has_legacy_finalizer(const Object* o) const {
    return is_legacy_policy() ? o->fin != Finalizer::none : o->fin == Finalizer::legacy;
  }
  static bool has_pep442_finalizer(const Object* o) {
    return o->fin == Finalizer::log || o->fin == Finalizer::resurrect || o->fin == Finalizer::alloc;
  }

  Observer& observer_;
  const Policy policy_;
  // Generations: new and re-tracked objects are young; survivors of a collection are moved
  // to old by the cycle collector. Pure reference counting only ever appends to young.
  ObjectList young_;
  ObjectList old_;

 private:
  // HeapView
  void for_each_variable(const std::function<void(std::string_view, Ref)>& f) const override;
  void for_each_weak(const std::function<void(std::string_view, Ref)>& f) const override;
  void for_each_in_list(RootList list, const std::function<void(Ref)>& f) const override;
  void for_each_object(const std::function<void(Ref)>& f) const override;
  Ref variable(std::string_view name) const override { return lookup(name); }
  ObjectId id(Ref o) const override { return static_cast<const Object*>(o)->id; }
  int slot_count(Ref o) const override { return static_cast<const Object*>(o)->slot_count; }
  Ref slot(Ref o, int i) const override { return static_cast<const Object*>(o)->slots()[i]; }
  std::optional<std::span<const std::byte>> payload(Ref r) const override {
    const auto* o = static_cast<const Object*>(r);
    return std::span{reinterpret_cast<const std::byte*>(o->slots() + o->slot_count), o->payload};
  }
  std::optional<std::int64_t> refcount(Ref o) const override {
    return static_cast<const Object*>(o)->refcount;
  }

  Object* new_object(int slots, Finalizer fin, std::uint32_t payload, ObjectId id);
  Object* lookup(std::string_view var) const;
  void set_variable(std::string_view var, Object* value);
  void forget_weak(std::string_view weak);
  void free_object(Object* o);
  static std::size_t bytes_of(const Object* o) {
    return sizeof(Object) + o->slot_count * sizeof(Object*) + o->payload;
  }

  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  const RefcountBug bug_;
  ObjectMemory memory_;
  std::unordered_map<std::string, Object*, NameHash, std::equal_to<>> variables_;
  std::map<std::string, WeakRef*, std::less<>> weak_;
  std::vector<Object*> revived_;
  std::vector<Object*> garbage_list_;
  std::vector<Object*> pending_deaths_;
  FinalizerAllocations finalizer_allocations_;
  std::vector<Object*> unnumbered_;  // this op's finalizer allocations still alive
  std::uint32_t next_id_ = 0;
};

}  // namespace gcfuzz::refcounting
