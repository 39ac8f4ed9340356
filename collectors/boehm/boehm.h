// The real Boehm-Demers-Weiser collector (libgc 8.2) behind the collector interface, for the
// tracing policies (SPEC.md 3.4 java, 3.5 boehm). libgc decides everything: what is
// reachable (conservatively: it scans stacks and registers too), what is finalized and in
// which order, which weak links disappear, what is freed. This adapter only performs the
// mutator ops on libgc's objects and translates what libgc did into events.
//
// How libgc's decisions are observed:
// - finalized: the finalizer proc registered for the object runs (GC_invoke_finalizers, at
//   the end of `collect`; libgc is set to finalize on demand only);
// - cleared: the weak variable's short disappearing link was zeroed by the collection;
// - freed: libgc has no hook, so each object has a long link (cleared only once the object
//   can no longer be resurrected, that is when libgc reclaims it) in memory libgc does not
//   scan; a zeroed long link after the collection is a freed object.
#pragma once

#include <gc/gc.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gcfuzz/collector.hpp"

namespace gcfuzz::boehm {

// An object, allocated by libgc: two header words, then `slot_count` object pointers, then
// the payload.
//
// The header words hold no pointer: id in the low half, then slot count, finalizer kind and
// flags; then the payload size. Their values are below 2^56 and far from any address libgc
// hands out; scanning them (GC_MALLOC scans every word) never retains anything. `flags`:
// kFinalized, the finalizer has run (libgc drops the registration when it runs, so it never runs
// again).
struct Object {
  static constexpr std::uint8_t kFinalized = 1;

  ObjectId id;
  std::uint8_t slot_count;
  Finalizer fin;
  std::uint8_t flags;
  std::uint8_t unused;
  std::uint32_t payload;  // bytes after the slots, in the same block (`alloc V N bytes=B`)
  std::uint32_t unused2;

  Object** slots() { return reinterpret_cast<Object**>(this + 1); }
  Object* const* slots() const { return reinterpret_cast<Object* const*>(this + 1); }
};
static_assert(sizeof(Object) == 2 * sizeof(void*));

// Deliberately wrong configurations (gcfuzz selftest must catch each).
enum class Bug : std::uint8_t {
  none,
  atomic_objects,          // objects from GC_MALLOC_ATOMIC: libgc never scans their slots
  unordered_finalization,  // boehm registers with GC_register_finalizer_no_order
  long_weak_links,         // weak variables are long links: not cleared for finalizable trash
};

// Memory libgc scans but never reclaims (GC_MALLOC_UNCOLLECTABLE), for the containers that
// hold the roots. Released memory is zeroed by GC_FREE, so a dropped root leaves no copy.
template <class T>
struct ScannedAllocator {
  using value_type = T;
  ScannedAllocator() = default;
  template <class U>
  ScannedAllocator(const ScannedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    void* p = GC_MALLOC_UNCOLLECTABLE(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { GC_FREE(p); }
  template <class U>
  bool operator==(const ScannedAllocator<U>&) const noexcept {
    return true;
  }
};

// One-time libgc set-up (CollectorInfo::prepare): no parallel markers, fork handlers,
// finalization on demand, Java finalization, the "Finalization cycle" warnings silenced,
// then GC_INIT. Idempotent; every BoehmHeap calls it too.
void prepare_libgc();

// A trace's heap in libgc. Every object, finalizer registration and link it creates is its
// own; the destructor unregisters them all, so nothing of one trace reports into the next.
// Automatic collections are off (GC_disable) while it lives: libgc collects only in
// `collect`.
class BoehmHeap final : public Collector, private HeapView {
 public:
  // REQUIRES: policy is java or boehm.
  BoehmHeap(Observer& observer, Policy policy, Bug bug);
  ~BoehmHeap() override;
  BoehmHeap(const BoehmHeap&) = delete;
  BoehmHeap& operator=(const BoehmHeap&) = delete;

  void alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) override;
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
  // What the adapter knows of an object, in memory libgc does not scan. `freed_link` is the
  // long link: the object's address, hidden (GC_HIDE_POINTER), until libgc zeroes it.
  struct Record {
    GC_hidden_pointer freed_link = 0;
    ObjectId id;
    std::size_t live_index = 0;  // position in live_ while not freed
  };
  // A weak variable: its short disappearing link (hidden, zeroed by libgc when the referent
  // becomes unreachable) in memory libgc does not scan.
  struct WeakVariable {
    GC_hidden_pointer link = 0;
    bool callback = false;
    bool bound = false;  // the link is registered and was not cleared yet
  };
  using Roots = std::map<std::string, Object*, std::less<>,
                         ScannedAllocator<std::pair<const std::string, Object*>>>;
  using RootVector = std::vector<Object*, ScannedAllocator<Object*>>;

  // The destructor's work, in a frame of its own.
  [[gnu::noinline]] void unregister_everything();

  // The phases of one collection (each documented where it is defined).
  void report_cleared_weak_variables();
  std::int64_t report_freed_objects();
  void run_finalizers();

  Object* allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id);
  void register_finalizer(Object* o);
  static void finalizer_proc(void* object, void* heap);
  void run_finalizer(Object* o);
  void register_weak_link(WeakVariable& w, Object* referent);
  void unregister_weak_link(WeakVariable& w);

  // Runs an op's work (then end_op) in its own frame, and zeroes the stack it used.
  template <class Work>
  void run_op(Work&& work);
  template <class Work>
  void run_in_own_frame(Work& work);

  Object* lookup(std::string_view var) const;
  void set_variable(std::string_view var, Object* value);
  // Numbers this op's finalizer allocations (SPEC.md section 1).
  void end_op();

  static Object* reveal(GC_hidden_pointer p) {
    return p == 0 ? nullptr : static_cast<Object*>(GC_REVEAL_POINTER(p));
  }

  // HeapView: the real objects, through the roots and the live records.
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

  Observer& observer_;
  const Policy policy_;
  const Bug bug_;
  // The roots, in scanned memory: they are what keeps objects alive.
  Roots variables_;  // bound, non-null; ordered by name
  RootVector revived_;
  RootVector garbage_list_;
  // The adapter's own tables, in memory libgc does not scan: they keep nothing alive.
  std::map<std::string, WeakVariable, std::less<>> weak_;  // node addresses are stable
  std::deque<Record> records_;                             // stable addresses, by allocation
  std::vector<Record*> live_;                              // records of objects not freed
  FinalizerAllocations finalizer_allocations_;
  std::vector<Record*> unnumbered_;  // this op's finalizer allocations
  std::uint32_t next_id_ = 0;
};

}  // namespace gcfuzz::boehm
