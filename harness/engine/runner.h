// The lockstep runner: each op goes to the reference model and to the collector, and the
// checker compares what each did, op by op (harness/README.md).
#pragma once

#include "harness/engine/layer.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gcfuzz/collector.hpp"
#include "harness/engine/checker.h"
#include "harness/engine/divergence.h"
#include "model/model.h"
#include "model/ops.h"

namespace gcfuzz {

// The model a collector is judged against: its policy, adjusted to what it can do.
ModelOptions model_options_for(const Capabilities& capabilities);

// Groups a collector's events per op, applying the renumbering of finalizer allocations.
class RecordingObserver final : public Observer {
 public:
  void freed(ObjectId id) override { events_.freed.push_back(id); }
  void finalized(ObjectId id) override { events_.finalized.push_back(id); }
  void appended_to_garbage(ObjectId id) override { events_.garbage.push_back(id); }
  void cleared(std::string_view weak) override { events_.cleared.emplace_back(weak); }
  void callback_ran(std::string_view weak) override { events_.callbacks.emplace_back(weak); }
  void collected(std::int64_t count) override { events_.collected = count; }
  void renumbered(ObjectId provisional, ObjectId final) override;
  // The events since the last take, sorted.
  Events take();

 private:
  Events events_;
};

// Discards every event: for timing a collector alone.
class NullObserver final : public Observer {
 public:
  void freed(ObjectId) override {}
  void finalized(ObjectId) override {}
  void appended_to_garbage(ObjectId) override {}
  void cleared(std::string_view) override {}
  void callback_ran(std::string_view) override {}
  void collected(std::int64_t) override {}
  void renumbered(ObjectId, ObjectId) override {}
};

// What a conservative collector retained over one trace (SPEC.md section 5 item 5): trash
// the model freed, finalized or cleared weak references to, on which the collector reported
// nothing. Allowed, and reported as counts.
struct Retention {
  std::size_t objects = 0;      // objects retained, summed over collections
  std::size_t collections = 0;  // collections that retained something
  std::size_t held_at_end = 0;  // distinct retained objects still held, unreachable, at the end
  bool any() const { return objects != 0; }
  Retention& operator+=(const Retention& other) {
    objects += other.objects;
    collections += other.collections;
    held_at_end += other.held_at_end;
    return *this;
  }
  friend bool operator==(const Retention&, const Retention&) = default;
};

// One collector under test, in lockstep with its own model.
//
// A conservative collector (which declares a tracing policy: mutator ops have no events
// there) is judged exactly too, against its model adjusted after each collection for the
// trash it retained: when its events differ from the model's, the objects the model freed,
// finalized or cleared weak references to, on which the collector reported nothing, are
// taken as retained (as if a stale word on its stack held them); the model performs the
// collection with them pinned as roots, and the collector's events must equal the model's. So
// anything it did beyond that (freeing or finalizing what the model keeps, finalizing out of order,
// clearing a weak reference to a live object) is a divergence; failing to clear a weak reference to
// trash, or to finalize it, cannot be told from retaining it, and counts as retention.
class Lane {
 public:
  // With `expectations`, the lane also runs the policy's own model when the collector's
  // capabilities reduce it, so that an expectation the reduced model fails can be told
  // apart: beyond the collector's capabilities (skipped), or wrong for the policy (failed).
  explicit Lane(const CollectorInfo& info, bool expectations = false);

  // REQUIRES: a conservative collector declares a tracing policy (java, boehm, lua).
  // Applies op `index` to the model and the collector and checks the result. The
  // collector's events for the op are left in `observed` when it is not null.
  std::optional<Divergence> step(std::size_t index, const Op& op, Events* observed = nullptr);
  // Checks at the end of the trace (the heap as a whole).
  std::optional<Divergence> finish(std::size_t op_count);
  // Set when the collector could not express the last op stepped (OpUnsupported): the lane
  // ends there, without judging that op or calling `finish`.
  const std::optional<std::string>& unsupported() const { return unsupported_; }

  const CollectorInfo& info() const { return info_; }
  const Model& model() const { return model_; }
  const Collector& collector() const { return *collector_; }
  std::size_t expectations_checked() const { return expectations_checked_; }
  std::size_t expectations_skipped() const { return expectations_skipped_; }
  // Complete once `finish` ran (held_at_end is counted there).
  const Retention& retention() const { return retention_; }
  // Times the collector's own call in each `step` from now on (off by default: two clock reads
  // per op that campaigns and fuzzing need not pay).
  void time_collector_calls() { time_collector_ = true; }
  // How long the collector's own call took in the last `step` (zero for an expectation, or
  // when not timing): the model and the checks are not in it.
  std::chrono::nanoseconds last_collector_time() const { return last_collector_time_; }

 private:
  bool conservative() const { return info_.capabilities.precision == Precision::conservative; }
  // Performs the op on the collector; a divergence if it threw.
  std::optional<Divergence> perform_on_collector(const Op& op, std::size_t index);
  // Runs a check that reads the collector's heap view; a divergence if reading it threw.
  std::optional<Divergence> read_view(
      const std::function<std::optional<Divergence>()>& check) const;
  // Applies `collect` to model_, with the trash the collector retained (judged from its
  // events, `observed`, against the model's preview) pinned; returns the model's events.
  Events apply_with_retained_pinned(const Collect& collect, const Events& observed);
  std::optional<Divergence> check_expectation_op(const Op& op);
  std::optional<Divergence> tag(std::optional<Divergence> d, std::size_t index) const;

  const CollectorInfo& info_;
  // What the checker is told: a conservative collector is judged exactly, against model_
  // adjusted for what it retained.
  Capabilities judged_;
  Model model_;
  RecordingObserver observer_;
  std::unique_ptr<Collector> collector_;
  CollectorHistory history_;
  std::optional<Model> policy_model_;  // the policy's own model, when model_ is reduced
  // For a conservative collector, with expectations: the model never adjusted for retention,
  // so that an expectation only retention breaks can be told apart (skipped) from a wrong one.
  std::optional<Model> plain_model_;
  std::size_t expectations_checked_ = 0;
  std::size_t expectations_skipped_ = 0;
  Retention retention_;
  std::vector<ObjectId> retained_ids_;  // sorted, distinct: every object ever retained
  std::vector<ObjectId> retained_now_;  // by the op in progress
  bool time_collector_ = false;
  std::chrono::nanoseconds last_collector_time_{0};
  std::optional<std::string> unsupported_;
};

struct LaneResult {
  const CollectorInfo* collector = nullptr;
  std::optional<Divergence> divergence;  // the first one; the lane stops there
  std::size_t ops_run = 0;
  std::size_t expectations_checked = 0;
  std::size_t expectations_skipped = 0;  // beyond the collector's capabilities or retention
  Retention retention;                   // conservative collectors only
  std::vector<Events> observed;          // per op run, when recorded (replay --json)
  std::vector<RuleSet> rules;            // per mutator op run, when recorded (the fuzz target)
  // Non-empty when the collector could not express op `ops_run - 1` (Lane::unsupported):
  // why. The trace ended there for it, without a divergence.
  std::string unsupported;
};

// Calls the collector method for a mutator op; does nothing for an expectation.
void perform(Collector& collector, const Op& op);

}  // namespace gcfuzz
