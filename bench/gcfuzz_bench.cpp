// Throughput of the differential run (Google Benchmark; speed is measured here, never
// asserted in a test):
// - traces/s and ops/s on 64-op random traces, for the model alone and for the model in
//   lockstep with each collector (all checks on);
// - cost per op on one long random trace of 10k, 100k and 1M ops, which must stay flat
//   (linear total time) as the trace grows 10x, on a heap that stays bounded;
// - full-collection time of each collector (and of the model) on the same 1M-object heap:
//   the heap is built untimed, then one `collect` is timed.
// gcfuzz's own mark-sweep collectors are also loaded as a plugin (`plugin-mark-sweep:*`,
// the same code exported through gcfuzz/plugin.hpp and driven through the C ABI), so every
// benchmark runs the built-in and the plugin copy side by side: the plugin path's cost.
#include <benchmark/benchmark.h>

#include <map>
#include <vector>

#include "collectors/registry.h"
#include "harness/campaigns/campaign.h"
#include "harness/engine/plugins.h"
#include "harness/engine/runner.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/trace/workloads.h"
#include "model/model.h"

namespace gcfuzz {
namespace {

constexpr std::uint64_t kSeed = 20261121;

// 1000 random traces of up to 64 ops, the campaign's own generator and seed schedule.
const std::vector<Trace>& short_traces() {
  static const std::vector<Trace> traces = [] {
    std::vector<Trace> t;
    for (std::size_t i = 0; i < 1000; ++i) t.push_back(campaign_trace(kSeed, i, 64).value());
    return t;
  }();
  return traces;
}

// Cycles through finalizers the policy sets aside (legacy finalizers under pep442, any
// finalizer under legacy) are never freed: such a heap grows with the trace, and every full
// collection with it, in any implementation. Cost per op is measured on a trace whose trash
// the policy can collect: those finalizers become `none`.
enum class Workload { collectable_under_pep442, collectable_under_legacy };

Workload workload_for(Policy policy) {
  // Under boehm, as under legacy, a cycle through any finalizer is never freed.
  return policy == Policy::legacy || policy == Policy::boehm ? Workload::collectable_under_legacy
                                                             : Workload::collectable_under_pep442;
}

std::string_view name_of(Workload w) {
  return w == Workload::collectable_under_legacy ? "no-finalizers" : "no-legacy-finalizers";
}

// One trace of exactly `ops` ops: campaign traces laid end to end (variables carry over).
const Trace& long_trace(std::size_t ops, Workload workload) {
  static std::map<std::pair<std::size_t, Workload>, Trace> cache;
  Trace& t = cache[{ops, workload}];
  for (std::size_t i = 0; t.ops.size() < ops; ++i) {
    for (Op op : campaign_trace(kSeed + 1, i, 64).value().ops) {
      if (t.ops.size() == ops) break;
      if (auto* alloc = std::get_if<Alloc>(&op)) {
        const bool set_aside = workload == Workload::collectable_under_legacy
                                   ? alloc->fin.kind != Finalizer::none
                                   : alloc->fin.kind == Finalizer::legacy;
        if (set_aside) alloc->fin.kind = Finalizer::none;
      }
      t.ops.push_back(op);
    }
  }
  return t;
}

std::size_t count_ops(const std::vector<Trace>& traces) {
  std::size_t n = 0;
  for (const Trace& t : traces) n += t.ops.size();
  return n;
}

void report(benchmark::State& state, std::size_t traces, std::size_t ops) {
  state.counters["traces/s"] =
      benchmark::Counter(static_cast<double>(traces), benchmark::Counter::kIsRate);
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
}

void model_alone(benchmark::State& state, Policy policy) {
  const std::vector<Trace>& traces = short_traces();
  for (auto _ : state) {
    for (const Trace& t : traces) {
      Model model(ModelOptions{.policy = policy});
      for (const Op& op : t.ops) benchmark::DoNotOptimize(model.apply(op));
    }
  }
  report(state, state.iterations() * traces.size(), state.iterations() * count_ops(traces));
}

void model_and_collector(benchmark::State& state, const CollectorInfo* collector) {
  const std::vector<Trace>& traces = short_traces();
  for (auto _ : state) {
    for (const Trace& t : traces) {
      const LaneResult r = run_lane(t, *collector, Isolation{.fork = false});
      if (r.divergence) state.SkipWithError("the collector diverged from the model");
    }
  }
  report(state, state.iterations() * traces.size(), state.iterations() * count_ops(traces));
}

void cost_per_op(benchmark::State& state, const CollectorInfo* collector) {
  const Trace& trace = long_trace(static_cast<std::size_t>(state.range(0)),
                                  workload_for(collector->capabilities.policy));
  for (auto _ : state) {
    const LaneResult r = run_lane(trace, *collector, Isolation{.fork = false});
    if (r.divergence) state.SkipWithError("the collector diverged from the model");
  }
  // Seconds per op, printed with an SI prefix (e.g. 1.2u = 1.2 microseconds per op).
  state.counters["time/op"] =
      benchmark::Counter(static_cast<double>(trace.ops.size() * state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

constexpr std::size_t kHeapObjects = 1'000'000;

// The same 1M-object random heap for every collector (some of it trash, some cyclic).
const Trace& million_object_heap() {
  static const Trace heap = random_heap_trace(kHeapObjects, 42);
  return heap;
}

void full_collection(benchmark::State& state, const CollectorInfo* collector) {
  const Trace& heap = million_object_heap();
  for (auto _ : state) {
    state.PauseTiming();
    NullObserver observer;
    std::unique_ptr<Collector> c = collector->make(observer);
    for (const Op& op : heap.ops) perform(*c, op);
    state.ResumeTiming();
    c->collect(false);
    state.PauseTiming();
    c.reset();
    state.ResumeTiming();
  }
  state.counters["objects"] = static_cast<double>(kHeapObjects);
}

void model_full_collection(benchmark::State& state, Policy policy) {
  const Trace& heap = million_object_heap();
  for (auto _ : state) {
    state.PauseTiming();
    auto model = std::make_unique<Model>(ModelOptions{.policy = policy});
    for (const Op& op : heap.ops) model->apply(op);
    state.ResumeTiming();
    benchmark::DoNotOptimize(model->apply(Collect{}));
    state.PauseTiming();
    model.reset();
    state.ResumeTiming();
  }
  state.counters["objects"] = static_cast<double>(kHeapObjects);
}

void register_all() {
  for (Policy p : {Policy::pep442, Policy::pep442_whole, Policy::legacy, Policy::java,
                   Policy::boehm, Policy::lua}) {
    benchmark::RegisterBenchmark(("model/" + std::string(name_of(p))).c_str(), model_alone, p)
        ->Unit(benchmark::kMillisecond);
  }
  for (const CollectorInfo& c : registry()) {
    if (c.is_mutant()) continue;
    benchmark::RegisterBenchmark(("model+collector/" + std::string(c.name)).c_str(),
                                 model_and_collector, &c)
        ->Unit(benchmark::kMillisecond);
  }
  for (Policy p : {Policy::pep442, Policy::legacy, Policy::java, Policy::boehm, Policy::lua}) {
    benchmark::RegisterBenchmark(("full-collection/model:" + std::string(name_of(p))).c_str(),
                                 model_full_collection, p)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3);
  }
  for (const CollectorInfo& c : registry()) {
    if (c.is_mutant()) continue;
    benchmark::RegisterBenchmark(("full-collection/" + std::string(c.name)).c_str(),
                                 full_collection, &c)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3);
  }
  for (const CollectorInfo& c : registry()) {
    if (c.is_mutant()) continue;
    const std::string name = "cost-per-op/" + std::string(c.name) + "/" +
                             std::string(name_of(workload_for(c.capabilities.policy)));
    benchmark::RegisterBenchmark(name.c_str(), cost_per_op, &c)
        ->Arg(10'000)
        ->Arg(100'000)
        ->Arg(1'000'000)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  }
}

}  // namespace
}  // namespace gcfuzz

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  gcfuzz::load_plugin(GCFUZZ_BENCH_PLUGIN);
  gcfuzz::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
