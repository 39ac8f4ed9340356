// The rules of SPEC.md as named events: the model says which rules each op applied, so that
// a corpus or a campaign can be told which parts of the spec it exercised and which it never
// reached (`--coverage`, docs/coverage.md), and libFuzzer can keep inputs that reach a new
// semantic state (extra features). A rule fires when the model applies it with an effect:
// "weak references cleared at a refcount death" fires when one was cleared, not whenever an
// object died.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string_view>

#include "gcfuzz/vocabulary.hpp"

namespace gcfuzz {

struct ModelOptions;

enum class Rule : std::uint8_t {
  // 1.2-1.3: the trace language.
  noop_unbound_source,
  noop_slot_out_of_range,
  null_from_empty_slot_or_cleared_weak,
  weak_rebound,
  drop_weak_and_strong,
  finalizer_allocation_numbered,
  alloc_finalizer_without_slots,
  revived_cleared,
  // 3.1-3.3: refcount deaths.
  refcount_death,
  refcount_cascade,
  refcount_finalizer,
  refcount_resurrection,
  refcount_weak_cleared,
  weak_callback,
  legacy_finalizer_runs_again,
  finalized_once,
  // 3.1-3.3: collections under the reference-counting policies.
  collection_frees_trash,
  legacy_set_aside,
  weak_cleared_before_finalizer,
  collection_finalizer,
  collection_resurrection,
  whole_resurrection_frees_nothing,
  died_by_refcount_in_collection,
  legacy_member_died_by_refcount,
  garbage_appended,
  garbage_cleared,
  // 3.4-3.5: tracing collections.
  tracing_trash_freed,
  tracing_weak_cleared,
  tracing_kept_for_finalizer,
  tracing_kept_reachable_from_finalizable,
  tracing_finalizer,
  tracing_resurrection,
  boehm_chain_link_deferred,
  boehm_finalization_cycle,
  // 4: young collections; collectors without cycle collection.
  young_collection,
  young_old_to_young_root,
  resurrected_young_again,
  collect_without_cycles,
  // 3.6: lua.
  lua_survivor_stays_young,
  lua_callback_ignored,
  count_  // not a rule
};

inline constexpr int kRuleCount = static_cast<int>(Rule::count_);
static_assert(kRuleCount <= 64, "RuleSet is one word");

struct RuleInfo {
  std::string_view name;     // kebab-case, as reports print it
  std::string_view section;  // SPEC.md section
  std::string_view summary;  // what firing means, in a few words
};

const RuleInfo& info_of(Rule rule);
// Whether the model can apply `rule` under these options (a rule that cannot fire is not
// reported as "never fired").
bool applies(Rule rule, const ModelOptions& options);

// The rules one op applied.
class RuleSet {
 public:
  void add(Rule r) { bits_ |= std::uint64_t{1} << static_cast<int>(r); }
  bool contains(Rule r) const { return (bits_ >> static_cast<int>(r)) & 1; }
  bool empty() const { return bits_ == 0; }
  std::uint64_t bits() const { return bits_; }
  static RuleSet from_bits(std::uint64_t bits) {
    RuleSet s;
    s.bits_ = bits & ((kRuleCount == 64 ? 0 : std::uint64_t{1} << kRuleCount) - 1);
    return s;
  }
  // Calls f(Rule) for each rule, in enum order.
  template <class F>
  void for_each(F&& f) const {
    for (std::uint64_t b = bits_; b != 0; b &= b - 1) f(static_cast<Rule>(std::countr_zero(b)));
  }

 private:
  std::uint64_t bits_ = 0;
};

}  // namespace gcfuzz
