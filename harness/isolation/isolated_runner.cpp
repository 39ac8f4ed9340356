// run_lane: the lane's loop, in a child, with its progress in shared memory.
#include "harness/isolation/isolated_runner.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <new>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "harness/engine/external_collectors.h"
#include "harness/isolation/serialize.h"
#include "harness/trace/text.h"

namespace gcfuzz {

namespace {

// A heartbeat every so many ops tells the parent a long trace is still moving.
constexpr std::size_t kHeartbeatOps = 4096;

// One counter in memory shared with the child: the op the child is at.
class SharedProgress {
 public:
  SharedProgress() {
    void* p = ::mmap(nullptr, sizeof(std::atomic<std::size_t>), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    value_ = new (p) std::atomic<std::size_t>(0);
  }
  ~SharedProgress() { ::munmap(value_, sizeof *value_); }
  SharedProgress(const SharedProgress&) = delete;
  SharedProgress& operator=(const SharedProgress&) = delete;
  void set(std::size_t v) { value_->store(v, std::memory_order_relaxed); }
  std::size_t get() const { return value_->load(std::memory_order_relaxed); }

 private:
  std::atomic<std::size_t>* value_;
};

LaneResult run_here(const Trace& trace, const CollectorInfo& collector, const LaneOptions& options,
                    SharedProgress* progress, ChildChannel* channel) {
  LaneResult r;
  r.collector = &collector;
  Lane lane(collector, std::any_of(trace.ops.begin(), trace.ops.end(), is_expectation));
  for (std::size_t i = 0; i < trace.ops.size() && !r.divergence; ++i) {
    if (progress) progress->set(i);
    if (channel && i % kHeartbeatOps == kHeartbeatOps - 1) channel->send("heartbeat");
    Events* observed = nullptr;
    if (options.record_events) observed = &r.observed.emplace_back();
    r.divergence = lane.step(i, trace.ops[i], observed);
    if (options.record_rules && !is_expectation(trace.ops[i])) {
      r.rules.push_back(lane.model().rules_fired());
    }
    ++r.ops_run;
    if (lane.unsupported()) {
      r.unsupported = *lane.unsupported();
      break;
    }
  }
  if (progress) progress->set(trace.ops.size());
  if (!r.divergence && r.unsupported.empty()) r.divergence = lane.finish(trace.ops.size());
  r.expectations_checked = lane.expectations_checked();
  r.expectations_skipped = lane.expectations_skipped();
  r.retention = lane.retention();
  return r;
}

// The line of a sanitizer report that names the error, or the reason the child died.
std::string crash_summary(const ChildOutcome& outcome) {
  std::istringstream lines(outcome.diagnostics);
  for (std::string line; std::getline(lines, line);) {
    for (std::string_view marker : {"ERROR: AddressSanitizer", "runtime error:",
                                    "ERROR: LeakSanitizer", "gcfuzz: uncaught exception"}) {
      if (const std::size_t at = line.find(marker); at != std::string::npos) {
        return line.substr(at);
      }
    }
  }
  return outcome.reason;
}

std::string encode(const LaneResult& r) {
  nlohmann::json j = {
      {"ops_run", r.ops_run},
      {"checked", r.expectations_checked},
      {"skipped", r.expectations_skipped},
      {"retained", {r.retention.objects, r.retention.collections, r.retention.held_at_end}},
      {"observed", r.observed},
      {"rules",
       [&] {
         std::vector<std::uint64_t> bits;
         for (const RuleSet& s : r.rules) bits.push_back(s.bits());
         return bits;
       }()},
      {"unsupported", r.unsupported}};
  if (r.divergence) j["divergence"] = *r.divergence;
  return j.dump();
}

// The lane's result from the child's answer, or the divergence its crash or hang stands for.
LaneResult decode(const CollectorInfo& collector, const ChildOutcome& outcome,
                  const std::string& answer, std::size_t op_reached) {
  LaneResult r;
  r.collector = &collector;
  if (outcome.status == ChildOutcome::Status::finished) {
    const nlohmann::json j = nlohmann::json::parse(answer);
    r.ops_run = j.at("ops_run").get<std::size_t>();
    r.expectations_checked = j.at("checked").get<std::size_t>();
    r.expectations_skipped = j.at("skipped").get<std::size_t>();
    const auto retained = j.at("retained").get<std::array<std::size_t, 3>>();
    r.retention = Retention{retained[0], retained[1], retained[2]};
    r.observed = j.at("observed").get<std::vector<Events>>();
    for (std::uint64_t bits : j.at("rules").get<std::vector<std::uint64_t>>()) {
      r.rules.push_back(RuleSet::from_bits(bits));
    }
    r.unsupported = j.at("unsupported").get<std::string>();
    if (j.contains("divergence")) r.divergence = j.at("divergence").get<Divergence>();
    return r;
  }
  r.ops_run = op_reached + 1;
  r.divergence = divergence_from_outcome(outcome, collector.name, op_reached);
  return r;
}

}  // namespace

Divergence divergence_from_outcome(const ChildOutcome& outcome, std::string_view collector,
                                   std::size_t op_index) {
  Divergence d;
  d.collector = std::string(collector);
  d.op_index = op_index;
  if (outcome.status == ChildOutcome::Status::timed_out) {
    d.check = Check::timeout;
    d.detail = fmt::format("the collector made no progress: {}", outcome.reason);
  } else {
    d.check = Check::crash;
    d.detail = crash_summary(outcome);
    d.diagnostics = outcome.diagnostics;
  }
  return d;
}

LaneResult run_lane(const Trace& trace, const CollectorInfo& collector, const Isolation& isolation,
                    const LaneOptions& options) {
  // A collector in another process is isolated already, with its own time limit.
  if (!isolation.fork || runs_out_of_process(collector)) {
    return run_here(trace, collector, options, nullptr, nullptr);
  }
  if (collector.prepare != nullptr) collector.prepare();

  SharedProgress progress;
  std::string result;
  const ChildOutcome outcome = run_in_child(
      [&](ChildChannel& channel) {
        channel.send(encode(run_here(trace, collector, options, &progress, &channel)));
      },
      isolation.quiet_limit,
      [&](std::string_view line) {
        if (line != "heartbeat") result = line;
      });
  return decode(collector, outcome, result, progress.get());
}

struct LaneServer::Child {
  SharedProgress progress;
  ChildServer server;
  explicit Child(const CollectorInfo& collector, const LaneOptions& options)
      : server([this, &collector, options](std::string_view request, ChildChannel& channel) {
          ParseResult parsed = parse_trace(request, "request");
          if (!parsed.parsed) throw std::runtime_error(parsed.error->to_string());
          channel.send(
              encode(run_here(parsed.parsed->trace, collector, options, &progress, &channel)));
        }) {}
};

bool depends_on_history(const Divergence& d) {
  return d.check == Check::crash || d.check == Check::timeout;
}

LaneServer::LaneServer(const CollectorInfo& collector, const Isolation& isolation,
                       const LaneOptions& options, bool shared)
    : collector_(collector), isolation_(isolation), options_(options), shared_(shared) {
  if (shared && isolation.fork && !runs_out_of_process(collector)) {
    if (collector.prepare != nullptr) collector.prepare();
    child_ = std::make_unique<Child>(collector, options);
  }
}

LaneServer::~LaneServer() = default;

LaneResult LaneServer::run(const Trace& trace) {
  if (!shared_) return run_lane(trace, collector_, isolation_, options_);
  if (!child_) return run_here(trace, collector_, options_, nullptr, nullptr);
  child_->progress.set(0);
  std::string result;
  const ChildOutcome outcome = child_->server.exchange(print_trace(trace), isolation_.quiet_limit,
                                                       [&](std::string_view line) {
                                                         if (line != "heartbeat") result = line;
                                                       });
  return decode(collector_, outcome, result, child_->progress.get());
}

std::optional<FirstDivergence> first_divergence(const Trace& trace,
                                                const std::vector<const CollectorInfo*>& collectors,
                                                const Isolation& isolation) {
  for (const CollectorInfo* c : collectors) {
    LaneResult r = run_lane(trace, *c, isolation);
    if (r.divergence) return FirstDivergence{c, std::move(*r.divergence)};
  }
  return std::nullopt;
}

std::optional<FirstDivergence> earliest_divergence(
    const Trace& trace, const std::vector<const CollectorInfo*>& collectors,
    const Isolation& isolation) {
  std::optional<FirstDivergence> found;
  for (const CollectorInfo* c : collectors) {
    LaneResult r = run_lane(trace, *c, isolation);
    if (r.divergence && (!found || r.divergence->op_index < found->divergence.op_index)) {
      found = FirstDivergence{c, std::move(*r.divergence)};
    }
  }
  return found;
}

}  // namespace gcfuzz
