// Scale: a chain of 250,000 objects (plain and cyclic) and a random heap of as many go through
// every collector, its model and the checker (integrity walks included) without overflowing
// the stack: nothing may recurse on the heap's shape. The stack is limited to 2 MiB, so a
// recursion of even 9 bytes a frame overflows it, as it would a default 8 MiB stack on a
// million-long chain (the test once used one, at five times the time); AddressSanitizer's
// larger frames make it overflow sooner still.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <string>

#include "collectors/registry.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/report.h"
#include "harness/trace/workloads.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

constexpr std::size_t kObjects = 250'000;
constexpr rlim_t kStack = 2 << 20;

// The heap as built, collected while all reachable, then dropped and collected again.
Trace chain_then_drop(bool cyclic) {
  Trace t = chain_trace(kObjects, cyclic);
  append(t, Collect{});
  append(t, Drop{Var{"head"}});
  append(t, Collect{});
  append(t, ExpectFreed{ObjectList{{ObjectId{0}, ObjectId{static_cast<std::uint32_t>(kObjects / 2)},
                                    ObjectId{static_cast<std::uint32_t>(kObjects - 1)}}},
                        PolicyFilter{}});
  return t;
}

Trace random_heap_then_drop() {
  Trace t = random_heap_trace(kObjects, 42);
  append(t, Collect{});
  for (int i = 0; i < 64; ++i) append(t, Drop{Var{"p" + std::to_string(i)}});
  append(t, Collect{});
  append(t,
         ExpectFreed{ObjectList{{ObjectId{0}, ObjectId{static_cast<std::uint32_t>(kObjects - 1)}}},
                     PolicyFilter{}});
  return t;
}

// Each test builds only the workload it runs (ctest runs every test in its own process, and
// a million-object trace takes seconds to build under ASan).
const Trace& workload(const std::string& name) {
  if (name == "chain") {
    static const Trace chain = chain_then_drop(false);
    return chain;
  }
  if (name == "cycle") {
    static const Trace cycle = chain_then_drop(true);
    return cycle;
  }
  static const Trace random = random_heap_then_drop();
  return random;
}

struct ScaleCase {
  const CollectorInfo* collector;
  std::string workload;
};

void PrintTo(const ScaleCase& c, std::ostream* os) {
  *os << c.collector->name << " " << c.workload;
}

std::vector<ScaleCase> cases() {
  std::vector<ScaleCase> result;
  for (const CollectorInfo& c : registry()) {
    if (c.is_mutant()) continue;
    for (const char* w : {"chain", "cycle", "random"}) result.push_back({&c, w});
  }
  return result;
}

std::string case_name(const ::testing::TestParamInfo<ScaleCase>& info) {
  return test_name_of(std::string(info.param.collector->name) + "_" + info.param.workload);
}

class Scale : public ::testing::TestWithParam<ScaleCase> {};

TEST_P(Scale, DeepHeapsWithoutRecursion) {
  const ScaleCase& c = GetParam();
  const Trace& trace = workload(c.workload);
  // The lane's child inherits the limit; the kernel checks it as the stack grows.
  rlimit stack{};
  ASSERT_EQ(getrlimit(RLIMIT_STACK, &stack), 0);
  stack.rlim_cur = std::min(stack.rlim_cur, kStack);
  ASSERT_EQ(setrlimit(RLIMIT_STACK, &stack), 0);
  // In a child process: a stack overflow is then a reported crash, not a dead test runner.
  const LaneResult r =
      run_lane(trace, *c.collector, Isolation{.quiet_limit = std::chrono::minutes(5)});
  if (r.divergence) {
    // A collector without cycle collection keeps the cycle: the expectation is skipped for
    // it (its model agrees), so any divergence here is a real failure.
    FAIL() << format_divergence(*r.divergence, trace);
  }
  EXPECT_EQ(r.ops_run, trace.ops.size());
}

INSTANTIATE_TEST_SUITE_P(Collectors, Scale, ::testing::ValuesIn(cases()), case_name);

}  // namespace
}  // namespace gcfuzz
