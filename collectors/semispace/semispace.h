// A Cheney copying collector for the java policy (SPEC.md 3.4): two semispaces with bump
// allocation; a collection copies what is reachable, then the finalizable trash and what it
// reaches, into the other space breadth first, and poisons the whole space it left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "collectors/tracing/tracing_heap.h"
#include "gcfuzz/collector.hpp"

namespace gcfuzz::semispace {

// An object: this header, then `slot_count` object pointers. The header carries the
// object's size (`size()`, from slot_count), so a space can be walked linearly.
//
// Flag encodings, documented once:
// - `flags`: kFinalized, the finalizer has run (it never runs again); copied with the object.
// - `forward`: null except on a from-space object during a collection, once it has been
//   copied: then it is the address of the copy in to-space.
struct Object {
  static constexpr std::uint8_t kFinalized = 1;

  ObjectId id;
  std::uint8_t slot_count;
  Finalizer fin;
  std::uint8_t flags;
  std::uint8_t unused;
  std::uint32_t payload;
  Object* forward;

  Object** slots() { return reinterpret_cast<Object**>(this + 1); }
  Object* const* slots() const { return reinterpret_cast<Object* const*>(this + 1); }
  // The block, payload included, rounded up so that the next object is aligned.
  static std::size_t size_for(int slots, std::uint32_t payload) {
    return (sizeof(Object) + slots * sizeof(Object*) + payload + alignof(Object) - 1) /
           alignof(Object) * alignof(Object);
  }
  std::size_t size() const { return size_for(slot_count, payload); }
};
static_assert(sizeof(Object) == 24 && sizeof(Object) % alignof(Object*) == 0);

// One semispace: bump allocation over a list of blocks (a new block when the last is full;
// a collection sizes the space it copies into to hold everything it might copy). Every byte
// past a block's top is poisoned, so a read past the last object traps under
// AddressSanitizer; `poison_all` poisons the objects too.
class Space {
 public:
  // Where a walk of the space stands: a block and an offset into it.
  struct Position {
    std::size_t block = 0;
    std::size_t offset = 0;
  };

  // A space adds a block at least as large as the object that does not fit the last one; with
  // `grows_for_large` false (a mutant's) only as large as twice the last block.
  explicit Space(bool grows_for_large = true) : grows_for_large_(grows_for_large) {}
  Space(const Space&) = delete;
  Space& operator=(const Space&) = delete;
  ~Space();
  void swap(Space& other) noexcept { blocks_.swap(other.blocks_); }

  // ENSURES: `bytes` readable and writable bytes, 8-aligned, after every earlier allocation.
  void* allocate(std::size_t bytes);
  // Empties the space and makes sure its first block holds at least `capacity` bytes.
  // REQUIRES: nothing points into the space any more.
  void reset(std::size_t capacity);
  // ENSURES: every access to the space traps until it is reset and allocated from again.
  void poison_all();
  std::size_t used() const;

  // Calls f(object) for every object from `scan` on, in allocation order, including those f
  // allocates in this space as it goes (a Cheney scan); leaves `scan` at the end.
  template <class F>
  void scan_from(Position& scan, F&& f);
  // Every object of the space, in allocation order.
  template <class F>
  void for_each_object(F&& f) const;

 private:
  static constexpr std::size_t kMinBlock = 64 * 1024;
  struct Block {
    char* base;
    std::size_t capacity;
    std::size_t top;  // bytes allocated; [top, capacity) is poisoned
  };
  void add_block(std::size_t capacity);
  bool grows_for_large_;
  static void release(const Block& b);

  std::vector<Block> blocks_;
};

// Planted bugs (gcfuzz selftest must catch each).
enum class Bug : std::uint8_t {
  none,
  stale_weak_references,  // weak referents that survive are not updated through forwarding
  revived_not_a_root,     // the `revived` list is neither traced nor updated
  finalizable_unscanned,  // objects copied in the K pass are not scanned: their slots stay stale
  no_growth_for_large,    // a new block is twice the last, even when a large object needs more
};

// The mutator ops, roots and finalizer effects come from TracingHeap; this class adds the
// two spaces and the collection.
class Semispace final : public tracing::TracingHeap<Object> {
 public:
  Semispace(Observer& observer, Bug bug);

  // Not generational: `collect young` is a full collection.
  void collect(bool young) override;

 private:
  // The phases of one collection (each documented where it is defined).
  void copy_roots();
  void scan_copied(Space::Position& scan);
  void handle_weak_references();
  std::vector<Object*> find_finalizable() const;
  void copy_finalizable(std::vector<Object*>& finalizable, Space::Position& scan);
  std::int64_t report_freed();
  void flip();

  // The to-space copy of from-space object `o` (null for null), copying it on first sight.
  Object* forward(Object* o);

  Object* allocate(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) override;

  // HeapView: the active space.
  void for_each_object(const std::function<void(Ref)>& f) const override;

  const Bug bug_;
  // The objects live in `active_`, where the mutator allocates. `reserve_` is the other
  // semispace: poisoned whole between collections; a collection copies into it and flips.
  Space active_;
  Space reserve_;
};

// ---- Inline definitions ----

template <class F>
void Space::scan_from(Position& scan, F&& f) {
  // f may add blocks: index blocks_ afresh at every step.
  while (scan.block < blocks_.size()) {
    if (scan.offset < blocks_[scan.block].top) {
      Object* o = reinterpret_cast<Object*>(blocks_[scan.block].base + scan.offset);
      scan.offset += o->size();
      f(o);
    } else if (scan.block + 1 < blocks_.size()) {
      ++scan.block;
      scan.offset = 0;
    } else {
      break;
    }
  }
}

template <class F>
void Space::for_each_object(F&& f) const {
  for (const Block& b : blocks_) {
    for (std::size_t offset = 0; offset < b.top;) {
      Object* o = reinterpret_cast<Object*>(b.base + offset);
      offset += o->size();
      f(o);
    }
  }
}

}  // namespace gcfuzz::semispace
