// Runs one collector over a trace in a child process, so that a crash or a hang becomes a
// divergence of that collector (check `crash` or `timeout`) instead of the end of the run.
#pragma once

#include "harness/isolation/layer.h"

#include <chrono>
#include <memory>

#include "harness/engine/runner.h"
#include "harness/isolation/isolation.h"

namespace gcfuzz {

struct Isolation {
  bool fork = true;  // false: run in this process (for debuggers); a crash then ends it
  std::chrono::milliseconds quiet_limit{std::chrono::seconds(60)};  // a hang, after this
};

struct LaneOptions {
  bool record_events = false;  // keep each op's observed events in LaneResult::observed
  bool record_rules = false;   // keep the SPEC.md rules each op applied in LaneResult::rules
};

LaneResult run_lane(const Trace& trace, const CollectorInfo& collector, const Isolation& isolation,
                    const LaneOptions& options = {});

// Runs many traces through one collector, each as run_lane does, in one child process that
// serves them in turn (isolation.h: ChildServer) instead of a fork per trace; after a crash
// or a hang, the next trace gets a new child. For the many candidate traces of shrinking,
// where a fork per candidate costs more than the candidate. Without fork (or for a collector
// in another process), runs them here. With `shared` false, each trace runs in a child of
// its own (run_lane): for a divergence that depends on the process's history.
class LaneServer {
 public:
  LaneServer(const CollectorInfo& collector, const Isolation& isolation,
             const LaneOptions& options = {}, bool shared = true);
  ~LaneServer();
  LaneServer(const LaneServer&) = delete;
  LaneServer& operator=(const LaneServer&) = delete;
  LaneResult run(const Trace& trace);

 private:
  struct Child;
  const CollectorInfo& collector_;
  Isolation isolation_;
  LaneOptions options_;
  bool shared_;
  std::unique_ptr<Child> child_;
};

// Whether reproducing `d` can depend on what ran before in the same process: a crash (where a
// memory error lands, and whether AddressSanitizer sees it, follows the heap's layout, which
// earlier traces change) or a hang. Shrinking such a divergence runs each candidate in a child
// of its own, so that the same seed gives the same shrunk trace.
bool depends_on_history(const Divergence& d);

struct FirstDivergence {
  const CollectorInfo* collector = nullptr;
  Divergence divergence;
};
// The first of `collectors`, in order, that diverges on `trace`, and how.
std::optional<FirstDivergence> first_divergence(const Trace& trace,
                                                const std::vector<const CollectorInfo*>& collectors,
                                                const Isolation& isolation);

// The divergence at the earliest op over `collectors` (the first collector, on a tie).
std::optional<FirstDivergence> earliest_divergence(
    const Trace& trace, const std::vector<const CollectorInfo*>& collectors,
    const Isolation& isolation);

// The divergence a child's crash or hang stands for.
Divergence divergence_from_outcome(const ChildOutcome& outcome, std::string_view collector,
                                   std::size_t op_index);

}  // namespace gcfuzz
