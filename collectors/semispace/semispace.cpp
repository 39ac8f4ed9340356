// The semispace copying collector (java finalization) and its registration.
#include "collectors/semispace/semispace.h"

#include <sanitizer/asan_interface.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace gcfuzz::semispace {

// ---- Space ----

namespace {

// Each block is mapped with an inaccessible guard after it, larger than any object, so that an
// object overrunning its block (a bug) faults on its first byte past the block, wherever the
// block lies. In memory from the allocator, an overrun of a large object lands in whatever
// lies beyond the block, another allocation or nothing, which changes from run to run with
// the address space's layout: the same trace would trap in one run and pass in another.
constexpr std::size_t kGuard = 2 * (kMaxPayload + 4096);

std::size_t mapped_size(std::size_t capacity) {
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (capacity + page - 1) / page * page + kGuard;
}

}  // namespace

Space::~Space() {
  for (const Block& b : blocks_) release(b);
}

void Space::release(const Block& b) {
  ASAN_UNPOISON_MEMORY_REGION(b.base, b.capacity);
  ::munmap(b.base, mapped_size(b.capacity));
}

void Space::add_block(std::size_t capacity) {
  const std::size_t mapped = mapped_size(capacity);
  void* base =
      ::mmap(nullptr, mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED || ::mprotect(base, mapped - kGuard, PROT_READ | PROT_WRITE) != 0) {
    throw std::bad_alloc();
  }
  ASAN_POISON_MEMORY_REGION(base, capacity);  // unpoisoned object by object, as allocated
  blocks_.push_back({static_cast<char*>(base), capacity, 0});
}

void* Space::allocate(std::size_t bytes) {
  if (blocks_.empty() || blocks_.back().capacity - blocks_.back().top < bytes) {
    // Doubling keeps the number of blocks logarithmic in the heap's size.
    const std::size_t last = blocks_.empty() ? 0 : blocks_.back().capacity;
    add_block(std::max({kMinBlock, 2 * last, grows_for_large_ ? bytes : 0}));
  }
  Block& b = blocks_.back();
  char* p = b.base + b.top;
  // Never past the block: an object that overruns it (a bug) then traps where it does.
  ASAN_UNPOISON_MEMORY_REGION(p, std::min(bytes, b.capacity - b.top));
  b.top += bytes;
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

// ---- Semispace: objects ----

Semispace::Semispace(Observer& observer, Bug bug)
    : TracingHeap(observer),
      bug_(bug),
      active_(bug != Bug::no_growth_for_large),
      reserve_(bug != Bug::no_growth_for_large) {}

Object* Semispace::allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) {
  return init_object(active_.allocate(Object::size_for(slots, payload)), slots, fin, payload, id);
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
  // On the copies, after the flip: an `alloc` finalizer allocates in the new active space
  // like the mutator.
  run_finalizers(finalizable);
  end_collection(freed);
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
  clear_weak_references_to_trash([this](Object* o) -> Object* {
    if (o->forward == nullptr) return nullptr;
    return bug_ == Bug::stale_weak_references ? o : o->forward;
  });
}

// F: the trash (not copied) with a finalizer (any kind; `legacy` acts as `log`) that has
// never run. A linear walk of from-space, which every object's header makes possible.
std::vector<Object*> Semispace::find_finalizable() const {
  std::vector<Object*> finalizable;
  active_.for_each_object([&](Object* o) {
    if (o->forward == nullptr && has_unrun_finalizer(o)) finalizable.push_back(o);
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

// ---- HeapView ----

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
      {"semispace:java~no-growth-for-large",
       "a space grows by twice its last block even when a large object needs more: the object "
       "overruns the new block",
       kCapabilities, "semispace:java", make<Bug::no_growth_for_large>},
  };
  return entries;
}

}  // namespace gcfuzz
