// `python:<path>`: a real CPython run out of process, judged against the model of its
// version's policy, op by op, with the trace's expectations.
#include <gtest/gtest.h>

#include "harness/engine/external_collectors.h"
#include "harness/engine/selection.h"
#include "harness/external/cpython_oracle.h"
#include "harness/external/exec_collectors.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/trace/text.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

const Isolation kIsolation{};

const CollectorInfo* python_for(int major, int minor) {
  const std::optional<Interpreter> found = find_interpreter(major, minor);
  if (!found) return nullptr;
  set_external_resolver(resolve_out_of_process);
  const Selection s = select_collectors({"python:" + found->path.string()});
  EXPECT_TRUE(s.error.empty()) << s.error;
  return s.collectors.empty() ? nullptr : s.collectors.front();
}

Trace load(const std::string& relative) {
  ParseResult r = load_trace(std::string(GCFUZZ_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(r.parsed) << r.error->to_string();
  return r.parsed->trace;
}

TEST(PythonCollector, TheSeedLeakLandsInGarbageUnderPython2) {
  const CollectorInfo* python = python_for(2, 7);
  if (!python) GTEST_SKIP() << "no CPython 2.7 in " << interpreter_search_places();
  EXPECT_EQ(python->capabilities.policy, Policy::legacy);
  const Trace trace = load("corpus/seeds/leaktest_pair.gct");
  const LaneResult r = run_lane(trace, *python, kIsolation, LaneOptions{.record_events = true});
  ASSERT_FALSE(r.divergence) << r.divergence->detail;
  EXPECT_GT(r.expectations_checked, 0u);
  std::vector<ObjectId> garbage;
  for (const Events& e : r.observed)
    garbage.insert(garbage.end(), e.garbage.begin(), e.garbage.end());
  EXPECT_EQ(garbage, (std::vector<ObjectId>{ObjectId{0}, ObjectId{1}}));
}

TEST(PythonCollector, AWrongExpectationIsCaught) {
  const CollectorInfo* python = python_for(3, 11);
  if (!python) GTEST_SKIP() << "no CPython 3.11 in " << interpreter_search_places();
  EXPECT_EQ(python->capabilities.policy, Policy::pep442);
  ParseResult p =
      parse_trace("alloc a 1 fin=log\nlink a 0 a\ndrop a\ncollect\nexpect alive @0\n", "t.gct");
  const LaneResult r = run_lane(p.parsed->trace, *python, kIsolation);
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->check, Check::expectation);
  EXPECT_EQ(r.divergence->op_index, 4u);
}

TEST(PythonCollector, ANonPythonIsABadSelectionNotAnAbort) {
  set_external_resolver(resolve_out_of_process);
  const Selection s = select_collectors({"python:/bin/true"});
  EXPECT_TRUE(s.collectors.empty());
  EXPECT_EQ(s.error,
            "python:/bin/true (CPython adapter): the adapter closed its output; it exited with "
            "status 0");
  const Selection missing = select_collectors({"python:/no/such/python"});
  EXPECT_EQ(missing.error,
            "python:/no/such/python (CPython adapter): cannot run /no/such/python: No such file "
            "or directory");
}

TEST(PythonCollector, NotSelectedByDefault) {
  set_external_resolver(resolve_out_of_process);
  for (const CollectorInfo* c : select_collectors({}).collectors) {
    EXPECT_FALSE(std::string_view(c->name).starts_with("python:")) << c->name;
  }
}

}  // namespace
}  // namespace gcfuzz
