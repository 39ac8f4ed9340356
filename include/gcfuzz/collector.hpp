// The C++ collector interface: what a collector declares, what it implements, what it
// reports and what it lets the harness read. gcfuzz's own collectors implement it, and so do
// C++ plugins (gcfuzz/plugin.hpp turns such a collector into a plugin of the C ABI,
// gcfuzz/plugin.h).
//
// A collector includes this header and nothing else of gcfuzz (the collectors in gcfuzz's
// tree also use the toolkit in collectors/: heap_memory.h, tracing/). It never sees the
// reference model: the harness runs the model and the collector in lockstep and compares
// what each reports.
//
// Who calls what, and how often:
// - The harness constructs one collector per trace (`CollectorInfo::make`), giving it the
//   Observer it must report events to; then calls one mutator method per op of the trace,
//   in order, from one thread; then destroys the collector.
// - After an op returns, the harness may read `view()` (integrity and reference-count
//   checks); no op is in progress while it does.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "gcfuzz/vocabulary.hpp"

namespace gcfuzz {

// ---- What a collector declares (plain data; the checker reads it, never the name) ----

enum class Precision : std::uint8_t {
  exact,         // every event set equals the model's (SPEC.md section 5 item 4)
  conservative,  // may retain trash; safety, integrity and finalizer discipline still hold
};

struct Capabilities {
  Policy policy = Policy::pep442;
  Precision precision = Precision::exact;
  bool collects_cycles = true;  // false: `collect` frees nothing (pure reference counting)
  bool generational = false;    // false: `collect young` is a full collection
  bool moving = false;          // objects change address (ids do not)
  bool incremental = false;     // marking interleaves with mutator ops
  bool refcounts = false;       // HeapView::refcount answers for every live object
};

// ---- What a collector reports ----

// Receives a collector's events as they happen (SPEC.md section 2). Every call refers to the
// op in progress; the harness groups them per op and compares them as sets.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void freed(ObjectId id) = 0;
  virtual void finalized(ObjectId id) = 0;            // once per finalizer run
  virtual void appended_to_garbage(ObjectId id) = 0;  // put on the `garbage` list
  virtual void cleared(std::string_view weak_variable) = 0;
  virtual void callback_ran(std::string_view weak_variable) = 0;
  virtual void collected(std::int64_t count) = 0;  // the value `collect` returns
  // A provisional id (see FinalizerAllocations) became `final`; earlier events of this op
  // that named `provisional` now name `final`.
  virtual void renumbered(ObjectId provisional, ObjectId final) = 0;
};

// SPEC.md section 1, "Numbering": objects allocated by finalizers during one op are numbered
// after the op, in the order of the ids of the objects whose finalizers allocated them.
// A collector hands such an object `provisional(creator)` as its id while the op runs, and
// calls `settle` when the op ends; `settle` tells the observer and returns the final ids.
class FinalizerAllocations {
 public:
  // At most one allocation per creator per op (a finalizer runs at most once per death).
  ObjectId provisional(ObjectId creator) {
    creators_.push_back(creator);
    return ObjectId{kProvisionalBit | creator.value};
  }
  static bool is_provisional(ObjectId id) { return id.value & kProvisionalBit; }

  // ENSURES: the i-th smallest creator's allocation is numbered next_id + i; next_id is
  // advanced past them. Returns (provisional, final) pairs.
  std::vector<std::pair<ObjectId, ObjectId>> settle(std::uint32_t& next_id, Observer& observer);

 private:
  static constexpr std::uint32_t kProvisionalBit = 1u << 31;
  std::vector<ObjectId> creators_;
};

// ---- What a collector lets the harness read ----

// A read-only view of the collector's heap, through its own data structures. The integrity
// check walks it from the roots and compares the graph with the model's, by id; so a moving
// collector that forgot to update a pointer, or freed something reachable, shows up here
// (and under AddressSanitizer, reading a freed object traps).
class HeapView {
 public:
  using Ref = const void*;  // the collector's own handle of an object; valid until the next op

  virtual ~HeapView() = default;
  // Strong variables that hold an object (null ones may be skipped).
  virtual void for_each_variable(const std::function<void(std::string_view, Ref)>& f) const = 0;
  // Bound weak variables; `referent` is null once cleared.
  virtual void for_each_weak(
      const std::function<void(std::string_view, Ref referent)>& f) const = 0;
  virtual void for_each_in_list(RootList list, const std::function<void(Ref)>& f) const = 0;
  // Every object not yet freed, reachable or not.
  virtual void for_each_object(const std::function<void(Ref)>& f) const = 0;

  // The object a strong variable holds, or null. The default walks for_each_variable;
  // collectors with a map of variables answer directly.
  virtual Ref variable(std::string_view name) const {
    Ref found = nullptr;
    for_each_variable([&](std::string_view n, Ref ref) {
      if (n == name) found = ref;
    });
    return found;
  }

  virtual ObjectId id(Ref object) const = 0;
  virtual int slot_count(Ref object) const = 0;
  virtual Ref slot(Ref object, int index) const = 0;  // null when empty
  // Strong references to the object; only collectors that declare `refcounts` answer.
  virtual std::optional<std::int64_t> refcount(Ref) const { return std::nullopt; }
  // The object's payload, as the collector keeps it (where it lives now, for a moving
  // collector), or nullopt if it does not show payloads. A collector that shows them filled
  // each with fill_payload at `alloc`; after every collection the harness reads every object
  // through where it is now and checks that its payload has the size it was allocated with
  // and still holds those bytes at its start and at its end: a block too small for its
  // object, a copy that lost the payload or an overlap with a neighbour shows there.
  virtual std::optional<std::span<const std::byte>> payload(Ref) const { return std::nullopt; }
};

// What a payload holds (HeapView::payload): byte i of object `id`'s payload is
// payload_byte(id, i) in its first and last kPayloadEdge bytes. fill_payload writes those,
// and the harness checks those; the rest is left as allocated, so that a large payload costs
// an allocation no more than a small one does (and untouched pages stay unmapped).
inline constexpr std::size_t kPayloadEdge = 8;
constexpr std::byte payload_byte(ObjectId id, std::size_t i) {
  return static_cast<std::byte>((id.value * 167u + i * 31u + 0x5Au) & 0xFFu);
}
inline void fill_payload(ObjectId id, std::span<std::byte> payload) {
  const std::size_t edge = std::min(payload.size(), kPayloadEdge);
  for (std::size_t i = 0; i < edge; ++i) payload[i] = payload_byte(id, i);
  for (std::size_t i = payload.size() - edge; i < payload.size(); ++i) {
    payload[i] = payload_byte(id, i);
  }
}

// ---- What a collector implements ----

// One method per mutator op of the trace language (SPEC.md section 1.3). The semantics of
// each, including the no-op rule for unbound or null sources and out-of-range slots, are
// the trace language's; the events each must report are SPEC.md's.
class Collector {
 public:
  virtual ~Collector() = default;

  // `payload`: bytes beyond the slots (`alloc V N bytes=B`, 0..kMaxPayload), for a collector
  // to allocate with the object, so that its size classes and spaces are exercised.
  virtual void alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) = 0;
  virtual void link(std::string_view target, int slot, std::string_view source) = 0;
  virtual void unlink(std::string_view target, int slot) = 0;
  virtual void load(std::string_view var, std::string_view source, int slot) = 0;
  virtual void copy(std::string_view var, std::string_view source) = 0;
  virtual void drop(std::string_view var) = 0;
  virtual void weak(std::string_view weak, std::string_view var, bool callback) = 0;
  virtual void deref(std::string_view var, std::string_view weak) = 0;
  virtual void collect(bool young) = 0;
  virtual void clear(RootList list) = 0;

  virtual const HeapView& view() const = 0;
};

// ---- The registry ----

struct CollectorInfo {
  std::string_view name;     // `algorithm:policy`, or `algorithm:policy~bug` for a mutant
  std::string_view summary;  // one line: the algorithm, or the bug a mutant plants
  Capabilities capabilities;
  std::string_view mutant_of;  // empty for a real collector
  std::function<std::unique_ptr<Collector>(Observer& observer)> make;
  std::string_view origin = "gcfuzz";  // whose implementation: gcfuzz's own, a real library...
  // One-time set-up of a runtime the collector embeds (an interpreter, a GC library), or
  // null. The harness calls it before it forks children to run traces, so that they
  // inherit the set-up instead of each repeating it; `make` must work without it too.
  void (*prepare)() = nullptr;

  bool is_mutant() const { return !mutant_of.empty(); }
};

// ---- Inline definitions ----

inline std::vector<std::pair<ObjectId, ObjectId>> FinalizerAllocations::settle(
    std::uint32_t& next_id, Observer& observer) {
  std::sort(creators_.begin(), creators_.end());
  std::vector<std::pair<ObjectId, ObjectId>> renames;
  for (ObjectId creator : creators_) {
    const ObjectId from{kProvisionalBit | creator.value};
    const ObjectId to{next_id++};
    observer.renumbered(from, to);
    renames.emplace_back(from, to);
  }
  creators_.clear();
  return renames;
}

}  // namespace gcfuzz
