// The lockstep runner: each op goes to the reference model and to the collector, and the
// checker compares what each did, op by op (DESIGN.md, "Architecture").
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "collectors/api.h"
#include "harness/checker.h"
#include "harness/divergence.h"
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

// One collector under test, in lockstep with its own model.
class Lane {
 public:
  // With `expectations`, the lane also runs the policy's own model when the collector's
  // capabilities reduce it, so that an expectation the reduced model fails can be told
  // apart: beyond the collector's capabilities (skipped), or wrong for the policy (failed).
  explicit Lane(const CollectorInfo& info, bool expectations = false);

  // Applies op `index` to the model and the collector and checks the result. The
  // collector's events for the op are left in `observed` when it is not null.
  std::optional<Divergence> step(std::size_t index, const Op& op, Events* observed = nullptr);
  // Checks at the end of the trace (the heap as a whole).
  std::optional<Divergence> finish(std::size_t op_count);

  const CollectorInfo& info() const { return info_; }
  const Model& model() const { return model_; }
  const Collector& collector() const { return *collector_; }
  std::size_t expectations_checked() const { return expectations_checked_; }
  std::size_t expectations_skipped() const { return expectations_skipped_; }

 private:
  std::optional<Divergence> check_expectation_op(const Op& op);
  std::optional<Divergence> tag(std::optional<Divergence> d, std::size_t index) const;

  const CollectorInfo& info_;
  Model model_;
  RecordingObserver observer_;
  std::unique_ptr<Collector> collector_;
  CollectorHistory history_;
  std::optional<Model> policy_model_;  // the policy's own model, when model_ is reduced
  std::size_t expectations_checked_ = 0;
  std::size_t expectations_skipped_ = 0;
};

struct LaneResult {
  const CollectorInfo* collector = nullptr;
  std::optional<Divergence> divergence;  // the first one; the lane stops there
  std::size_t ops_run = 0;
  std::size_t expectations_checked = 0;
  std::size_t expectations_skipped = 0;
  std::vector<Events> observed;  // per op run, when recorded (replay --json)
};

// Calls the collector method for a mutator op; does nothing for an expectation.
void perform(Collector& collector, const Op& op);

}  // namespace gcfuzz
