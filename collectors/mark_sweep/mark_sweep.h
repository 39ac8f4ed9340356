// A precise, non-moving mark-sweep collector for the tracing policies (SPEC.md 3.4 java and
// 3.5 boehm): mark from the roots with an explicit stack, keep finalizable trash and what it
// reaches, sweep the rest into ObjectMemory's size-class free lists, then run finalizers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/api.h"
#include "collectors/heap_memory.h"

namespace gcfuzz::mark_sweep {

// An object: this header, then `slot_count` object pointers.
//
// Flag encodings, documented once:
// - `flags`: kFinalized, the finalizer has run (it never runs again, resurrected or not).
// - `mark`: scratch for one collection, 0 between collections. kReachable: reached from the
//   roots. kKept: trash kept alive for finalization (the set K of SPEC.md 3.4); under boehm,
//   a finalizable object that gets kKept while marking from the contents of the finalizable
//   set is reached by another finalizable object and must wait.
// - `prev`/`next`: the object's place on the list of every allocated, not yet freed object,
//   which the sweep and HeapView::for_each_object walk.
struct Object {
  static constexpr std::uint8_t kFinalized = 1;
  static constexpr std::uint8_t kReachable = 1, kKept = 2;

  ObjectId id;
  std::uint8_t slot_count;
  Finalizer fin;
  std::uint8_t flags;
  std::uint8_t mark;
  Object* prev;
  Object* next;

  Object** slots() { return reinterpret_cast<Object**>(this + 1); }
  Object* const* slots() const { return reinterpret_cast<Object* const*>(this + 1); }
  bool is_marked() const { return mark != 0; }
};
static_assert(sizeof(Object) % alignof(Object*) == 0);

// Planted bugs (gcfuzz selftest must catch each).
enum class Bug : std::uint8_t {
  none,
  mark_skips_last_slot,    // off by one in the mark loop: an object's last slot is not traced
  clear_only_freed_weak,   // weak references to finalizable survivors (K) are not cleared
  finalize_again,          // the FINALIZED mark is not checked: resurrected objects finalize again
  unordered_finalization,  // boehm runs every finalizable object's finalizer (the java rule)
};

class MarkSweep final : public Collector, HeapView {
 public:
  // REQUIRES: policy is java or boehm.
  MarkSweep(Observer& observer, Policy policy, Bug bug);
  ~MarkSweep() override;

  void alloc(std::string_view var, int slots, Finalizer fin) override;
  void link(std::string_view target, int slot, std::string_view source) override;
  void unlink(std::string_view target, int slot) override;
  void load(std::string_view var, std::string_view source, int slot) override;
  void copy(std::string_view var, std::string_view source) override;
  void drop(std::string_view var) override;
  void weak(std::string_view weak, std::string_view var, bool callback) override;
  void deref(std::string_view var, std::string_view weak) override;
  // Not generational: `collect young` is a full collection.
  void collect(bool young) override;
  void clear(RootList list) override;

  const HeapView& view() const override { return *this; }

 private:
  // The phases of one collection (each documented where it is defined).
  void mark_from_roots();
  void clear_weak_references();
  std::vector<Object*> find_finalizable() const;
  std::vector<Object*> mark_finalizer_reachable(const std::vector<Object*>& finalizable);
  std::int64_t sweep();
  void run_finalizers(std::vector<Object*>& ready);

  // Marks `mark` on every unmarked object `work` leads to (work list, no recursion).
  void mark_closure(std::vector<Object*>& work, std::uint8_t mark);
  void run_finalizer(Object* o);
  // Numbers this op's finalizer allocations (SPEC.md section 1); every op ends with it.
  void end_op();

  Object* new_object(int slots, Finalizer fin, ObjectId id);
  void free_object(Object* o);
  Object* lookup(std::string_view var) const;
  void set_variable(std::string_view var, Object* value);
  static std::size_t bytes_for(int slots) { return sizeof(Object) + slots * sizeof(Object*); }

  // HeapView
  void for_each_variable(const std::function<void(std::string_view, Ref)>& f) const override;
  void for_each_weak(const std::function<void(std::string_view, Ref)>& f) const override;
  void for_each_in_list(RootList list, const std::function<void(Ref)>& f) const override;
  void for_each_object(const std::function<void(Ref)>& f) const override;
  ObjectId id(Ref o) const override { return static_cast<const Object*>(o)->id; }
  int slot_count(Ref o) const override { return static_cast<const Object*>(o)->slot_count; }
  Ref slot(Ref o, int i) const override { return static_cast<const Object*>(o)->slots()[i]; }

  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct WeakVariable {
    Object* referent = nullptr;  // null once cleared
    bool callback = false;
  };

  Observer& observer_;
  const Policy policy_;
  const Bug bug_;
  ObjectMemory memory_;
  Object* objects_ = nullptr;  // head of the list of every object not yet freed
  std::unordered_map<std::string, Object*, NameHash, std::equal_to<>> variables_;
  std::map<std::string, WeakVariable, std::less<>> weak_;
  std::vector<Object*> revived_;
  std::vector<Object*> garbage_list_;  // stays empty under java and boehm; a root all the same
  FinalizerAllocations finalizer_allocations_;
  std::vector<Object*> unnumbered_;  // this op's finalizer allocations
  std::uint32_t next_id_ = 0;
};

}  // namespace gcfuzz::mark_sweep
