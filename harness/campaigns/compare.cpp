// The comparison engine: one child per (collector, workload), each reporting a JSON line.
#include "harness/campaigns/compare.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "harness/engine/external_collectors.h"
#include "harness/engine/runner.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/isolation/isolation.h"

namespace gcfuzz {

namespace {

constexpr std::size_t kHeartbeatOps = 4096;
constexpr std::array<std::size_t, 3> kSizes = {1'000, 100'000, 1'000'000};

// ---- Memory: the process's resident set, from /proc (Linux) ----

// A `Vm...:` line of /proc/self/status, in bytes; 0 when unreadable.
std::size_t status_bytes(std::string_view key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':') {
      return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10) * 1024;
    }
  }
  return 0;
}

// Resets the peak resident set (VmHWM) to the current one (Linux 4.0 and later).
void reset_peak_resident() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

double ms(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Nearest-rank percentile of sorted samples.
double percentile(const std::vector<double>& sorted, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

nlohmann::json pause_summary(std::vector<double> samples_ms) {
  if (samples_ms.empty()) {
    return {{"count", 0}, {"p50_ms", nullptr}, {"p99_ms", nullptr}, {"max_ms", nullptr}};
  }
  std::sort(samples_ms.begin(), samples_ms.end());
  return {{"count", samples_ms.size()},
          {"p50_ms", percentile(samples_ms, 0.50)},
          {"p99_ms", percentile(samples_ms, 0.99)},
          {"max_ms", samples_ms.back()}};
}

struct EventCounts {
  std::size_t freed = 0, retained = 0, finalized = 0, garbage = 0, cleared = 0, callbacks = 0;
  void add(const Events& e) {
    freed += e.freed.size();
    finalized += e.finalized.size();
    garbage += e.garbage.size();
    cleared += e.cleared.size();
    callbacks += e.callbacks.size();
  }
  void add(const nlohmann::json& j) {
    freed += j.at("freed").get<std::size_t>();
    retained += j.at("retained").get<std::size_t>();
    finalized += j.at("finalized").get<std::size_t>();
    garbage += j.at("garbage").get<std::size_t>();
    cleared += j.at("cleared").get<std::size_t>();
    callbacks += j.at("callbacks").get<std::size_t>();
  }
  nlohmann::json to_json() const {
    return {{"freed", freed},     {"retained", retained}, {"finalized", finalized},
            {"garbage", garbage}, {"cleared", cleared},   {"callbacks", callbacks}};
  }
};

// What one (collector, workload) run measured: the JSON entry of docs/compare-json.md, plus
// `pause_samples_ms` and `mutator_seconds` for the totals (removed before output).
class Measurement {
 public:
  Measurement(const CollectorInfo& info, const Workload& w, ChildChannel* channel)
      : info_(info), workload_(w), channel_(channel) {}

  nlohmann::json run() {
    if (workload_.kind == WorkloadKind::synthetic) time_alone(workload_.traces.front());
    if (workload_.checked) {
      for (std::size_t t = 0; t < workload_.traces.size(); ++t) {
        run_in_lockstep(t, workload_.traces[t]);
      }
    }
    return entry();
  }

  // The entry as measured so far.
  nlohmann::json entry() const {
    return {
        {"workload", workload_.name},
        {"status", divergent_ != 0 ? "diverged" : "ok"},
        {"reason", ""},
        {"checked", workload_.checked},
        {"traces", workload_.checked ? workload_.traces.size() : 0},
        {"divergent", divergent_},
        {"ops", ops_},
        {"seconds", seconds_},
        {"mutator_seconds", mutator_seconds_},
        {"mutator_ops", mutator_ops_},
        {"events", events_.to_json()},
        {"pauses", pause_summary(pauses_ms_)},
        {"pause_samples_ms", pauses_ms_},
        {"full_collection_ms", full_collection_ms_},
        {"reclaim_ms", reclaim_ms_},
        {"peak_heap_bytes", peak_heap_bytes_},
        {"bytes_per_object", bytes_per_object_},
        {"first_failure", first_failure_},
    };
  }

 private:
  // Counted over the whole workload: many short traces tell the parent they move too.
  void heartbeat() {
    ++done_ops_;
    if (channel_ && done_ops_ % kHeartbeatOps == 0) {
      channel_->send(fmt::format("progress {}", done_ops_));
    }
  }

  // Cost: the collector alone, no model and no checks, its resident memory watched.
  void time_alone(const Trace& trace) {
    const std::size_t baseline = status_bytes("VmRSS");
    reset_peak_resident();
    NullObserver observer;
    std::vector<double> collects_ms;
    {
      std::unique_ptr<Collector> collector = info_.make(observer);
      for (std::size_t i = 0; i < trace.ops.size(); ++i) {
        const Op& op = trace.ops[i];
        heartbeat();
        if (is_expectation(op)) continue;
        const auto start = std::chrono::steady_clock::now();
        perform(*collector, op);
        account(op, std::chrono::steady_clock::now() - start);
        if (std::holds_alternative<Collect>(op)) collects_ms.push_back(pauses_ms_.back());
      }
      // A collector in another process keeps its heap there: this process's resident
      // memory says nothing of it, so its memory is left unmeasured.
      if (!runs_out_of_process(info_)) {
        const std::size_t peak = status_bytes("VmHWM");
        peak_heap_bytes_ = peak > baseline ? peak - baseline : 0;
      }
    }
    if (collects_ms.size() >= 2) {
      full_collection_ms_ = collects_ms[collects_ms.size() - 2];
      reclaim_ms_ = collects_ms.back();
    }
    if (workload_.objects != 0 && !peak_heap_bytes_.is_null()) {
      bytes_per_object_ = static_cast<double>(peak_heap_bytes_.get<std::size_t>()) /
                          static_cast<double>(workload_.objects);
    }
    timed_ = true;
  }

  void account(const Op& op, std::chrono::nanoseconds took) {
    const double s = std::chrono::duration<double>(took).count();
    seconds_ += s;
    ++ops_;
    if (std::holds_alternative<Collect>(op)) {
      pauses_ms_.push_back(ms(took));
    } else {
      mutator_seconds_ += s;
      ++mutator_ops_;
    }
  }

  // Agreement: the trace in lockstep with the model. Its timings count when no pass of the
  // collector alone was made.
  void run_in_lockstep(std::size_t index, const Trace& trace) {
    Lane lane(info_, std::any_of(trace.ops.begin(), trace.ops.end(), is_expectation));
    if (!timed_) lane.time_collector_calls();
    std::optional<Divergence> found;
    for (std::size_t i = 0; i < trace.ops.size() && !found; ++i) {
      heartbeat();
      // Fresh each op: step leaves it untouched on an expectation or a throw.
      Events observed;
      found = lane.step(i, trace.ops[i], &observed);
      events_.add(observed);
      if (!timed_ && !is_expectation(trace.ops[i])) {
        account(trace.ops[i], lane.last_collector_time());
      }
    }
    if (!found) found = lane.finish(trace.ops.size());
    events_.retained += lane.retention().objects;
    if (found) {
      ++divergent_;
      if (first_failure_.is_null()) {
        first_failure_ = {{"workload", workload_.name},
                          {"trace", index},
                          {"op", found->op_index},
                          {"check", name_of(found->check)},
                          {"detail", found->detail}};
      }
    }
  }

  const CollectorInfo& info_;
  const Workload& workload_;
  ChildChannel* channel_;
  bool timed_ = false;
  std::size_t done_ops_ = 0;
  std::size_t divergent_ = 0, ops_ = 0, mutator_ops_ = 0;
  double seconds_ = 0, mutator_seconds_ = 0;
  std::vector<double> pauses_ms_;
  EventCounts events_;
  nlohmann::json full_collection_ms_ = nullptr, reclaim_ms_ = nullptr;
  nlohmann::json peak_heap_bytes_ = nullptr, bytes_per_object_ = nullptr;
  nlohmann::json first_failure_ = nullptr;
};

// The entry of a workload whose child crashed or hung: nothing measured.
nlohmann::json failed_entry(const CollectorInfo& info, const Workload& w,
                            const ChildOutcome& outcome) {
  const bool hung = outcome.status == ChildOutcome::Status::timed_out;
  // For a crash, the line of the sanitizer report that names the error.
  const std::string reason =
      hung ? outcome.reason : divergence_from_outcome(outcome, info.name, 0).detail;
  nlohmann::json e = Measurement(info, w, nullptr).entry();
  e["status"] = hung ? "timed_out" : "crashed";
  e["reason"] = reason;
  e["traces"] = 0;
  e["seconds"] = nullptr;
  e["first_failure"] = {{"workload", w.name},
                        {"trace", nullptr},
                        {"op", nullptr},
                        {"check", hung ? "timeout" : "crash"},
                        {"detail", reason}};
  return e;
}

// The synthetic workload whose figures stand for the collector's: the largest graph, else
// the largest synthetic heap that was measured.
const nlohmann::json* representative(const nlohmann::json& entries,
                                     const std::vector<Workload>& workloads) {
  const nlohmann::json* best = nullptr;
  std::pair<bool, std::size_t> best_key{false, 0};
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    const Workload& w = workloads[i];
    if (w.kind != WorkloadKind::synthetic || entries[i].at("full_collection_ms").is_null()) {
      continue;
    }
    const std::pair<bool, std::size_t> key{w.shape == Shape::graph, w.objects};
    if (best == nullptr || key > best_key) {
      best = &entries[i];
      best_key = key;
    }
  }
  return best;
}

nlohmann::json summarize(const CollectorInfo& info, nlohmann::json entries,
                         const std::vector<Workload>& workloads) {
  std::size_t traces = 0, divergent = 0, failed = 0, ops = 0, mutator_ops = 0;
  double seconds = 0, mutator_seconds = 0;
  std::vector<double> pauses;
  EventCounts events;
  nlohmann::json first_failure = nullptr, peak = nullptr;
  for (const nlohmann::json& e : entries) {
    const std::string status = e.at("status");
    if (status == "crashed" || status == "timed_out") {
      ++failed;
    } else {
      traces += e.at("traces").get<std::size_t>();
      divergent += e.at("divergent").get<std::size_t>();
      seconds += e.at("seconds").get<double>();
    }
    if (first_failure.is_null()) first_failure = e.at("first_failure");
    ops += e.at("ops").get<std::size_t>();
    mutator_ops += e.at("mutator_ops").get<std::size_t>();
    mutator_seconds += e.at("mutator_seconds").get<double>();
    const auto& samples = e.at("pause_samples_ms");
    pauses.insert(pauses.end(), samples.begin(), samples.end());
    events.add(e.at("events"));
    if (!e.at("peak_heap_bytes").is_null() &&
        (peak.is_null() || e.at("peak_heap_bytes").get<std::size_t>() > peak.get<std::size_t>())) {
      peak = e.at("peak_heap_bytes");
    }
  }
  const nlohmann::json* rep = representative(entries, workloads);
  nlohmann::json cost = {
      {"seconds", seconds},
      {"mutator_ops", mutator_ops},
      {"ops_per_second", mutator_seconds > 0 ? nlohmann::json(mutator_ops / mutator_seconds)
                                             : nlohmann::json(nullptr)},
      {"pauses", pause_summary(std::move(pauses))},
      {"full_collection_ms", rep ? rep->at("full_collection_ms") : nullptr},
      {"full_collection_workload", rep ? rep->at("workload") : nullptr},
      {"peak_heap_bytes", peak},
      {"bytes_per_object", rep ? rep->at("bytes_per_object") : nullptr},
  };
  for (nlohmann::json& e : entries) {
    e.erase("pause_samples_ms");
    e.erase("mutator_seconds");
    e.erase("mutator_ops");
    e.erase("first_failure");
  }
  return {{"name", info.name},
          {"summary", info.summary},
          {"policy", name_of(info.capabilities.policy)},
          {"precision", info.capabilities.precision == Precision::exact ? "exact" : "conservative"},
          {"origin", info.origin},
          {"agreement",
           {{"traces", traces},
            {"divergent", divergent},
            {"failed_workloads", failed},
            {"first_failure", first_failure}}},
          {"events", events.to_json()},
          {"cost", cost},
          {"workloads", std::move(entries)}};
}

std::string_view kind_name(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::corpus:
      return "corpus";
    case WorkloadKind::random:
      return "random";
    case WorkloadKind::synthetic:
      return "synthetic";
  }
  return "";
}

}  // namespace

std::string synthetic_name(Shape shape, std::size_t objects) {
  if (objects >= 1'000'000 && objects % 1'000'000 == 0) {
    return fmt::format("{}-{}M", name_of(shape), objects / 1'000'000);
  }
  if (objects >= 1'000 && objects % 1'000 == 0) {
    return fmt::format("{}-{}k", name_of(shape), objects / 1'000);
  }
  return fmt::format("{}-{}", name_of(shape), objects);
}

std::optional<std::pair<Shape, std::size_t>> parse_synthetic_name(std::string_view name) {
  const std::size_t dash = name.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::optional<Shape> shape = shape_named(name.substr(0, dash));
  if (!shape) return std::nullopt;
  const std::string_view size = name.substr(dash + 1);
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), n);
  if (ec != std::errc{} || end == size.data()) return std::nullopt;
  const std::string_view suffix(end, size.data() + size.size() - end);
  std::size_t scale = 1;
  if (suffix == "k") {
    scale = 1'000;
  } else if (suffix == "M") {
    scale = 1'000'000;
  } else if (!suffix.empty()) {
    return std::nullopt;
  }
  if (n == 0 || n > 4'000'000 / scale) return std::nullopt;
  return std::pair{*shape, n * scale};
}

std::vector<std::string> known_workload_names() {
  std::vector<std::string> names = {"corpus", "random"};
  for (std::size_t size : kSizes) {
    for (std::size_t s = 0; s < kShapeNames.size(); ++s) {
      names.push_back(synthetic_name(static_cast<Shape>(s), size));
    }
  }
  return names;
}

std::vector<std::string> default_workload_names() {
  std::vector<std::string> names = {"corpus", "random"};
  for (std::size_t size : {1'000, 100'000}) {
    for (std::size_t s = 0; s < kShapeNames.size(); ++s) {
      names.push_back(synthetic_name(static_cast<Shape>(s), size));
    }
  }
  names.push_back(synthetic_name(Shape::graph, 1'000'000));
  return names;
}

std::string build_description() {
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool asan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  constexpr bool asan = true;
#else
  constexpr bool asan = false;
#endif
#else
  constexpr bool asan = false;
#endif
#if defined(__OPTIMIZE__)
  constexpr const char* opt = "optimized";
#else
  constexpr const char* opt = "not optimized";
#endif
  return asan ? fmt::format("AddressSanitizer+UBSan, {}", opt) : fmt::format("release, {}", opt);
}

nlohmann::json run_comparison(const std::vector<const CollectorInfo*>& collectors,
                              const std::vector<Workload>& workloads,
                              const CompareOptions& options) {
  nlohmann::json result;
  result["schema"] = "gcfuzz-compare/1";
  result["build"] = build_description();
  result["cores"] = std::thread::hardware_concurrency();
  nlohmann::json& listed = result["workloads"] = nlohmann::json::array();
  for (const Workload& w : workloads) {
    std::size_t ops = 0;
    for (const Trace& t : w.traces) ops += t.ops.size();
    nlohmann::json j = {{"name", w.name},
                        {"kind", kind_name(w.kind)},
                        {"description", w.description},
                        {"traces", w.traces.size()},
                        {"ops", ops},
                        {"checked", w.checked}};
    if (w.shape) {
      j["shape"] = name_of(*w.shape);
      j["objects"] = w.objects;
    }
    listed.push_back(std::move(j));
  }

  CompareProgress progress;
  progress.total = collectors.size() * workloads.size();
  const auto start = std::chrono::steady_clock::now();
  auto report = [&] {
    progress.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.on_progress) options.on_progress(progress);
  };
  nlohmann::json& rows = result["collectors"] = nlohmann::json::array();
  for (const CollectorInfo* collector : collectors) {
    if (options.fork && collector->prepare != nullptr) collector->prepare();
    nlohmann::json entries = nlohmann::json::array();
    progress.collector = collector->name;
    for (std::size_t i = 0; i < workloads.size(); ++i) {
      const Workload& w = workloads[i];
      progress.workload = w.name;
      progress.ops = 0;
      progress.of_ops = listed[i].at("ops").get<std::size_t>() *
                        (w.kind == WorkloadKind::synthetic && w.checked ? 2 : 1);
      report();
      if (!options.fork) {
        entries.push_back(Measurement(*collector, w, nullptr).run());
      } else {
        std::string line;
        const ChildOutcome outcome = run_in_child(
            [&](ChildChannel& channel) {
              channel.send(Measurement(*collector, w, &channel).run().dump());
            },
            options.quiet_limit,
            [&](std::string_view l) {
              if (l.starts_with("progress ")) {
                progress.ops = std::strtoull(std::string(l.substr(9)).c_str(), nullptr, 10);
                report();
              } else {
                line = l;
              }
            });
        if (outcome.status == ChildOutcome::Status::finished && !line.empty()) {
          entries.push_back(nlohmann::json::parse(line));
        } else {
          entries.push_back(failed_entry(*collector, w, outcome));
        }
      }
      ++progress.done;
      progress.ops = 0;
    }
    rows.push_back(summarize(*collector, std::move(entries), workloads));
  }
  report();
  return result;
}

}  // namespace gcfuzz
