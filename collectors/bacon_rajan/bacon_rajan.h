// Reference counting with synchronous cycle collection after Bacon and Rajan ("Concurrent
// Cycle Collection in Reference Counted Systems", ECOOP 2001, section 3): a decrement that
// leaves a count above zero buffers the object as a possible root of garbage, and a
// collection runs trial deletion from the buffered roots only (MarkRoots, ScanRoots,
// CollectRoots). The trash it finds goes through the same PEP 442 phases as trial deletion
// (refcounting::CycleCollectingHeap::collect_trash).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "collectors/refcount/cycle_collecting_heap.h"

namespace gcfuzz::bacon_rajan {

// Planted bugs of the Bacon-Rajan algorithm itself (gcfuzz selftest must catch each).
enum class Bug : std::uint8_t {
  none,
  scan_black_no_restore,      // ScanBlack does not give back the counts MarkGray took
  mark_gray_skips_last_slot,  // off by one: MarkGray ignores each object's last slot
  freed_stays_buffered,       // an object freed by refcount is left in the root buffer
  root_keeps_buffered_flag,   // roots leave the buffer still flagged: never buffered again
};

// Encodings, documented once (gc_flags is Object's per-collection scratch byte):
// - Colors. Black is gc_flags == 0: every object outside a collection, and every object a
//   collection found live. Gray (kGray) and white (kWhite) exist only between MarkRoots and
//   CollectRoots; CollectRoots turns each white object into kUnreachable (what
//   collect_trash expects), so no gray or white is left when collect_trash starts.
// - Purple is membership of the root buffer, kept beside the heap (buffer_, positions_),
//   not in gc_flags: the refcount core clears gc_flags when a finalizer resurrects an
//   object (retrack), and collect_trash clears it on everything it lets go, so a color bit
//   there would not survive until the next collection. The core has no increment hook, so
//   a buffered object never turns black before the collection: every buffered object is
//   purple (the paper's blackening on increment only drops roots early; it saves work and
//   changes nothing that a collection finds).
// - Trial counts are the reference counts themselves, as in the paper: MarkGray decrements
//   the count of each object a gray object refers to, ScanBlack restores the counts that
//   a live object's references lost, and CollectRoots restores those that a white object's
//   references lost, so that every count is true again before collect_trash runs
//   finalizers (which read counts to see resurrection). gc_refs is not used.
class BaconRajan final : public refcounting::CycleCollectingHeap {
 public:
  BaconRajan(Observer& observer, Bug bug);

  // One synchronous cycle collection (there are no generations: `young` is ignored).
  void collect(bool young) override;

  // ---- For tests: what the algorithm is doing, read without changing it ----
  // The buffered possible roots, in the order they were buffered.
  std::vector<ObjectId> candidates() const;
  // How many objects the last collection's MarkRoots colored gray: the buffered roots and
  // what they reach, never more.
  std::size_t examined_in_last_collection() const { return examined_; }

 private:
  using Object = refcounting::Object;
  using ObjectList = refcounting::ObjectList;

  static constexpr std::uint8_t kGray = 0x10;
  static constexpr std::uint8_t kWhite = 0x20;

  // The refcount core's hooks.
  void decremented_to_nonzero(Object* o) override;  // PossibleRoot
  void about_to_free(Object* o) override;           // a candidate freed by refcount leaves

  std::vector<Object*> take_roots();
  void mark_roots(std::vector<Object*>& roots);
  void mark_gray(Object* s);
  void scan_roots(const std::vector<Object*>& roots);
  void scan(Object* s);
  void scan_black(Object* s);
  void collect_roots(const std::vector<Object*>& roots, ObjectList& unreachable);
  void collect_white(Object* s, ObjectList& unreachable);
  void compact_buffer();
  void validate_colors(const ObjectList& unreachable) const;

  const Bug bug_;
  // The root buffer: possible roots in buffering order, null where a candidate was freed
  // by refcount after it was buffered; positions_ maps each buffered object to its index
  // (the paper's "buffered" flag).
  std::vector<Object*> buffer_;
  std::unordered_map<const Object*, std::size_t> positions_;
  // Bug::root_keeps_buffered_flag only: roots taken by a collection whose flag was not reset.
  std::unordered_set<const Object*> stale_flags_;
  std::size_t examined_ = 0;
  // The explicit work lists of the traversals (never recursion: chains of a million
  // objects), kept to reuse their storage. ScanBlack runs inside Scan: it has its own.
  std::vector<Object*> work_;
  std::vector<Object*> black_work_;
};

}  // namespace gcfuzz::bacon_rajan
