// The reference model: the executable form of SPEC.md. It applies one op at a time and
// returns the events that op must produce under the chosen policy.
//
// The model is meant to be read beside the spec: adjacency lists, reference counts kept
// by hand, explicit work lists (a 1M-long chain must not overflow the stack), one function
// per policy rule. It knows nothing of collectors.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gcfuzz/vocabulary.hpp"
#include "model/events.h"
#include "model/heap_graph.h"
#include "model/ops.h"
#include "model/rules.h"

namespace gcfuzz {

// What the model expects depends on the policy and on what the collector under test can do.
struct ModelOptions {
  Policy policy = Policy::pep442;
  bool collects_cycles = true;  // false: `collect` frees nothing (pure reference counting)
  bool generational = true;     // false: `collect young` is a full collection
  friend bool operator==(const ModelOptions&, const ModelOptions&) = default;
};

class Model {
 public:
  explicit Model(ModelOptions options);

  // Applies `op` and returns its events, sorted. Expectations change nothing and return
  // no events; evaluate them with `check`.
  Events apply(const Op& op);
  // The rules of SPEC.md the last `apply` applied (model/rules.h).
  const RuleSet& rules_fired() const { return fired_; }

  // Evaluates an expectation op against the current state: nullopt if it holds, else why not.
  std::optional<std::string> check(const Op& expectation) const;

  // Conservative collectors (SPEC.md section 5 item 5): `pin` holds objects as extra roots
  // (no variable, no list names them), so that an op can be replayed as if a collector's
  // conservative roots (a stale word on its stack) held the trash it retained; `unpin_all`
  // lets them go. Only under the tracing policies, where an object a root stops
  // holding does not die at once: under reference counting `unpin_all` would have to kill.
  // REQUIRES (pin): the policy does not count references; the objects exist and are not freed.
  void pin(const std::vector<ObjectId>& ids);
  void unpin_all() { pinned_.clear(); }
  // The events `apply(op)` would return now, without performing it (pins included).
  // REQUIRES: the policy does not count references.
  Events preview(const Collect& op) const;

  const ModelOptions& options() const { return options_; }

  // ---- Queries (checker, expectations, show --dot). Ids are public ids. ----
  std::uint32_t object_count() const { return static_cast<std::uint32_t>(handle_of_id_.size()); }
  // The objects not freed, in no particular order, without walking the freed ones: a check
  // after every collection must cost what the heap holds, not its whole history.
  // REQUIRES: between ops (every object numbered).
  std::size_t live_count() const { return live_.size(); }
  template <class F>
  void for_each_live(F&& f) const {
    for (Handle h : live_) f(objects_[h].id);
  }
  bool is_freed(ObjectId id) const { return object(id).freed; }
  int times_finalized(ObjectId id) const { return object(id).times_finalized; }
  bool is_young(ObjectId id) const { return object(id).age < kOld; }
  Finalizer finalizer(ObjectId id) const { return object(id).fin; }
  std::uint32_t payload(ObjectId id) const { return object(id).payload; }
  std::int64_t refcount(ObjectId id) const { return object(id).refcount; }
  std::vector<std::optional<ObjectId>> slots(ObjectId id) const;
  std::optional<ObjectId> variable(std::string_view name) const;
  std::optional<ObjectId> weak_referent(std::string_view weak_variable) const;  // nullopt: cleared
  std::vector<ObjectId> garbage() const;                                        // sorted
  std::vector<ObjectId> revived() const;                                        // sorted
  std::optional<std::int64_t> last_collected() const { return last_collected_; }
  std::vector<bool> reachable() const;  // indexed by id
  HeapGraph graph() const;

 private:
  using Handle = std::uint32_t;  // index into objects_; stable for the model's life
  static constexpr Handle kNull = UINT32_MAX;
  // Sets sized by what they hold, never by the whole history of the heap: a long trace
  // must cost linear time.
  using HandleSet = std::unordered_set<Handle>;
  static constexpr std::uint8_t kOld = 2;

  struct Object {
    ObjectId id{};              // public number; assigned at the end of the op for finalizer
    bool numbered = false;      // allocations (SPEC.md section 1, "Numbering")
    Handle creator = kNull;     // for finalizer allocations: whose finalizer allocated it
    std::vector<Handle> slots;  // kNull when empty
    Finalizer fin = Finalizer::none;
    std::uint32_t payload = 0;  // bytes beyond the slots (`alloc V N bytes=B`)
    std::int64_t refcount = 0;  // strong references: variables, slots, revived, garbage
    int weak_count = 0;         // weak variables referring to it
    int times_finalized = 0;    // its FINALIZED mark is times_finalized > 0
    bool freed = false;
    // 0: allocated (or re-tracked) since the last collection; kOld: old. Under `lua` an
    // object is young until it survives two young collections (age 1 between them).
    std::uint8_t age = 0;
    std::uint64_t died_in = 0;   // the collection during which it died by refcount
    std::size_t live_index = 0;  // position in live_ while not freed
  };
  struct WeakVariable {
    Handle referent = kNull;  // kNull once cleared
    bool callback = false;
  };
  // Events of the op in progress, by handle; translated to ids when the op ends.
  struct PendingEvents {
    std::vector<Handle> freed, finalized, garbage;
    std::vector<std::string> cleared, callbacks;
    std::optional<std::int64_t> collected;
  };

  // Ops.
  void alloc(const Alloc&);
  void link(const Link&);
  void unlink(const Unlink&);
  void load(const Load&);
  void copy(const Copy&);
  void drop(const Drop&);
  void weak(const Weak&);
  void deref(const Deref&);
  void collect(const Collect&);
  void clear(const Clear&);

  // Reference counting and deaths (SPEC.md 3.1 and 3.3, "Refcount death").
  Handle new_object(int slots, Finalizer fin, Handle creator);
  Handle lookup(std::string_view variable) const;
  void set_variable(const std::string& name, Handle value);
  void incref(Handle h);
  void decref(Handle h);
  void drain_deaths();
  void die_pep442(Handle h);
  void die_legacy(Handle h);
  bool finalize_dying(Handle h);
  void resurrected_on_refcount_path(Handle h);
  void die_freed(Handle h);
  void run_finalizer(Handle h);
  void free_object(Handle h);
  bool clear_weak_references_to(Handle h);  // true if it cleared any

  // Collections (SPEC.md 3.1-3.3 and section 4).
  void collect_pep442(bool young);
  void collect_legacy(bool young);
  // SPEC.md 3.4-3.5, steps 1-4, decided before anything changes.
  struct TracingPlan {
    std::vector<Handle> examined;      // the objects the collection examines
    std::vector<Handle> trash;         // U
    std::vector<Handle> doomed;        // U minus K: freed
    std::vector<Handle> finalize_now;  // F (java) or F' (boehm), in id order
    std::size_t finalizable = 0;       // |F|
    bool old_to_young_roots = false;   // a young collection seeded from old objects
  };
  TracingPlan plan_tracing(bool young) const;
  void collect_tracing(bool young);
  std::vector<Handle> generation(bool young) const;
  // `from_outside`, when given, is set if a live object outside `set` refers into it.
  std::vector<Handle> unreachable_within(const std::vector<Handle>& set,
                                         bool* from_outside = nullptr) const;
  std::vector<Handle> legacy_closure(const std::vector<Handle>& trash) const;
  HandleSet closure_within(const HandleSet& set, const std::vector<Handle>& seeds,
                           bool from_contents) const;
  bool has_legacy_finalizer(const Object& o) const;
  bool clear_weak_references_into(const std::vector<Handle>& set);  // true if it cleared any
  void free_set(const std::vector<Handle>& set);
  void age_generation(const std::vector<Handle>& generation, bool young);
  void sort_by_id(std::vector<Handle>& handles) const;

  void settle_numbering();
  void fire(Rule rule) { fired_.add(rule); }
  Events take_events();
  const Object& object(ObjectId id) const;
  std::vector<Handle> root_handles() const;

  ModelOptions options_;
  std::deque<Object> objects_;  // deque: references stay valid while objects are added
  std::vector<Handle> handle_of_id_;
  std::vector<Handle> live_;                           // objects not freed, in no particular order
  std::unordered_map<std::string, Handle> variables_;  // bound, non-null
  std::map<std::string, WeakVariable> weak_;           // ordered: deterministic clearing
  std::vector<Handle> revived_;
  std::vector<Handle> garbage_;
  std::vector<Handle> pinned_;  // extra roots (pin)
  std::vector<Handle> pending_deaths_;
  std::vector<Handle> unnumbered_;  // finalizer allocations of the op in progress
  PendingEvents events_;
  RuleSet fired_;  // by the op in progress
  std::optional<std::int64_t> last_collected_;
  std::uint64_t collection_ = 0;  // counts collections; tags died_in
};

}  // namespace gcfuzz
