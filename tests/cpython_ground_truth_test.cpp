// The model against real CPython: every corpus trace, run in CPython 2.7 and 3.7-3.13, must
// produce the model's events op for op (SPEC.md section 6: where the two disagree, the
// interpreter is right); 3.6 differs in `collected` only. Also tests the oracle's own error
// paths with fake interpreters.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/campaigns/campaign.h"
#include "harness/external/cpython_oracle.h"
#include "harness/trace/event_format.h"
#include "harness/trace/text.h"
#include "model/model.h"
#include "tests/corpus_files.h"
#include "tests/oracle_difference.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::milliseconds kTraceLimit{60'000};
constexpr std::size_t kRandomTraces = 500;
constexpr std::uint64_t kRandomSeed = 20261121;

// Probing every interpreter takes a second or two; once per test program is enough.
const std::vector<Interpreter>& interpreters() {
  static const std::vector<Interpreter> found = find_interpreters();
  return found;
}

std::string relative_name(const fs::path& file) {
  return fs::relative(file, GCFUZZ_SOURCE_DIR).string();
}

bool uses_legacy_finalizers(const Trace& trace) {
  return std::any_of(trace.ops.begin(), trace.ops.end(), [](const Op& op) {
    const Alloc* alloc = std::get_if<Alloc>(&op);
    return alloc && alloc->fin.kind == Finalizer::legacy;
  });
}

struct GroundTruthCase {
  int major;
  int minor;
  Policy policy;  // what the model must be run with to match this interpreter
};

void PrintTo(const GroundTruthCase& c, std::ostream* os) {
  *os << "CPython " << c.major << "." << c.minor << " (" << name_of(c.policy) << ")";
}

std::string case_name(const ::testing::TestParamInfo<GroundTruthCase>& info) {
  return fmt::format("CPython{}{}", info.param.major, info.param.minor);
}

// Runs `trace` in `python` and in the model: nullopt when every op gives the same events,
// else where and how they first differ.
std::optional<std::string> difference_with_cpython(const Trace& trace, const Interpreter& python,
                                                   Policy policy) {
  const OracleResult observed = run_in_python(trace, python, kTraceLimit);
  if (!observed.ok()) return observed.error;
  if (observed.per_op.size() != trace.ops.size()) {
    return fmt::format("CPython reported {} ops of {}", observed.per_op.size(), trace.ops.size());
  }
  Model model(ModelOptions{.policy = policy});
  const std::optional<OpDifference> d = difference_per_op(trace, model, observed.per_op);
  if (!d) return std::nullopt;
  return fmt::format(
      "op {} `{}`\n  model ({}) expects: {}\n  CPython {} did:  {}\n  ({} op(s) of this trace "
      "differ; this is the first)",
      d->first, print_op(trace.ops[d->first]), name_of(policy), describe(d->expected),
      python.version(), describe(d->observed), d->count);
}

class CPythonGroundTruth : public ::testing::TestWithParam<GroundTruthCase> {};

TEST_P(CPythonGroundTruth, EveryCorpusTraceGivesTheModelsEventsOpForOp) {
  const GroundTruthCase& c = GetParam();
  const std::optional<Interpreter> python = pick_interpreter(interpreters(), c.major, c.minor);
  if (!python) {
    GTEST_SKIP() << "no CPython " << c.major << "." << c.minor << " found; looked for "
                 << interpreter_search_places();
  }
  ASSERT_EQ(python->policy, c.policy)
      << "CPython " << python->version() << " is not " << name_of(c.policy);
  const std::vector<fs::path> files = corpus_files();
  ASSERT_FALSE(files.empty()) << "no .gct file under " << GCFUZZ_SOURCE_DIR << "/corpus";

  int agreed = 0, disagreed = 0, not_run = 0;
  for (const fs::path& file : files) {
    const std::string name = relative_name(file);
    const ParseResult parsed = load_trace(file);
    if (!parsed.parsed) {
      ADD_FAILURE() << parsed.error->to_string();
      ++disagreed;
      continue;
    }
    const Trace& trace = parsed.parsed->trace;
    if (uses_legacy_finalizers(trace) && !python->legacy_finalizers) {
      ++not_run;  // this build has no _testcapi.with_tp_del: it cannot make fin=legacy
      continue;
    }
    if (const std::optional<std::string> difference =
            difference_with_cpython(trace, *python, c.policy)) {
      ADD_FAILURE() << name << ": " << *difference;
      ++disagreed;
      continue;
    }
    ++agreed;
  }
  const std::string summary = fmt::format(
      "CPython {} ({}, {}): {} corpus traces, {} agree with the model, {} disagree, "
      "{} not run",
      python->version(), name_of(c.policy), python->path.string(), files.size(), agreed, disagreed,
      not_run);
  std::cout << "[ground truth] " << summary << "\n";
  RecordProperty("traces", static_cast<int>(files.size()));
  RecordProperty("agreed", agreed);
  if (not_run > 0) {
    GTEST_SKIP() << not_run << " trace(s) use fin=legacy, which this build of CPython "
                 << python->version() << " cannot make (no _testcapi.with_tp_del). " << summary;
  }
}

// Beyond the hand-written corpus: random traces from the campaign generator (the same
// traces `gcfuzz run --seed 20261121` starts with), so the model is held to CPython on
// combinations nobody thought to write down.
TEST_P(CPythonGroundTruth, RandomTracesGiveTheModelsEventsOpForOp) {
  const GroundTruthCase& c = GetParam();
  const std::optional<Interpreter> python = pick_interpreter(interpreters(), c.major, c.minor);
  if (!python) {
    GTEST_SKIP() << "no CPython " << c.major << "." << c.minor << " found; looked for "
                 << interpreter_search_places();
  }
  int agreed = 0, disagreed = 0, not_run = 0;
  for (std::size_t i = 0; i < kRandomTraces; ++i) {
    // Small heaps: a payload changes no rule of the spec (a bytearray the object owns), and
    // the bursts of `mixed` would only make the scripts longer.
    const Trace trace = campaign_trace(kRandomSeed, i, 64, HeapShape::small).value();
    if (uses_legacy_finalizers(trace) && !python->legacy_finalizers) {
      ++not_run;
      continue;
    }
    if (const std::optional<std::string> difference =
            difference_with_cpython(trace, *python, c.policy)) {
      ADD_FAILURE() << "random trace " << i << " (seed " << kRandomSeed << "): " << *difference
                    << "\ntrace:\n"
                    << print_trace(trace);
      ++disagreed;
      continue;
    }
    ++agreed;
  }
  std::cout << fmt::format(
      "[ground truth] CPython {} ({}): {} random traces, {} agree, {} "
      "disagree, {} not run\n",
      python->version(), name_of(c.policy), kRandomTraces, agreed, disagreed, not_run);
}

// Every interpreter each policy is measured against (SPEC.md section 6).
INSTANTIATE_TEST_SUITE_P(Interpreters, CPythonGroundTruth,
                         ::testing::Values(GroundTruthCase{2, 7, Policy::legacy},
                                           GroundTruthCase{3, 7, Policy::pep442_whole},
                                           GroundTruthCase{3, 8, Policy::pep442_whole},
                                           GroundTruthCase{3, 9, Policy::pep442},
                                           GroundTruthCase{3, 10, Policy::pep442},
                                           GroundTruthCase{3, 11, Policy::pep442},
                                           GroundTruthCase{3, 12, Policy::pep442},
                                           GroundTruthCase{3, 13, Policy::pep442}),
                         case_name);

// SPEC.md section 3.2, "The count in 3.6 and before": CPython 3.6 counts in `gc.collect()`
// the objects that died by refcount or were resurrected during the collection. Measured: on
// the corpus it gives every event of pep442-whole but `collected`, which differs on some
// traces. If this fails, the documented difference no longer describes 3.6.
TEST(CPython36, DiffersFromPep442WholeOnlyInTheCollectedCount) {
  const std::optional<Interpreter> python = pick_interpreter(interpreters(), 3, 6);
  if (!python) {
    GTEST_SKIP() << "no CPython 3.6 found; looked for " << interpreter_search_places();
  }
  int traces = 0, differing_in_collected = 0;
  for (const fs::path& file : corpus_files()) {
    const ParseResult parsed = load_trace(file);
    ASSERT_TRUE(parsed.parsed) << parsed.error->to_string();
    const Trace& trace = parsed.parsed->trace;
    if (uses_legacy_finalizers(trace) && !python->legacy_finalizers) continue;
    const OracleResult observed = run_in_python(trace, *python, kTraceLimit);
    ASSERT_TRUE(observed.ok()) << relative_name(file) << ": " << observed.error;
    ASSERT_EQ(observed.per_op.size(), trace.ops.size()) << relative_name(file);
    ++traces;
    Model model(ModelOptions{.policy = Policy::pep442_whole});
    bool collected_differs = false;
    for (std::size_t i = 0; i < trace.ops.size(); ++i) {
      Events expected = model.apply(trace.ops[i]);
      Events seen = observed.per_op[i];
      if (expected.collected != seen.collected) collected_differs = true;
      expected.collected = seen.collected;
      EXPECT_EQ(expected, seen) << relative_name(file) << " op " << i << " `"
                                << print_op(trace.ops[i]) << "`: model " << describe(expected)
                                << ", CPython " << python->version() << " " << describe(seen);
    }
    differing_in_collected += collected_differs;
  }
  std::cout << fmt::format(
      "[ground truth] CPython {}: {} corpus traces, {} differ from pep442-whole in `collected` "
      "only, the rest agree\n",
      python->version(), traces, differing_in_collected);
  EXPECT_GT(differing_in_collected, 0)
      << "CPython " << python->version() << " now counts as pep442-whole does: update SPEC.md 3.2";
}

// ---- The oracle itself ----

TEST(CPythonOracle, PolicyFollowsTheVersion) {
  EXPECT_EQ(policy_of_cpython(2, 7), Policy::legacy);
  EXPECT_EQ(policy_of_cpython(3, 3), Policy::legacy);
  EXPECT_EQ(policy_of_cpython(3, 4), Policy::pep442_whole);
  EXPECT_EQ(policy_of_cpython(3, 8), Policy::pep442_whole);
  EXPECT_EQ(policy_of_cpython(3, 9), Policy::pep442);
  EXPECT_EQ(policy_of_cpython(3, 13), Policy::pep442);
}

TEST(CPythonOracle, PicksABuildThatCanMakeLegacyFinalizersThenTheHighestPatch) {
  const std::vector<Interpreter> found = {
      {.path = "/a/python3.11", .major = 3, .minor = 11, .patch = 9, .legacy_finalizers = false},
      {.path = "/b/python3.11", .major = 3, .minor = 11, .patch = 2, .legacy_finalizers = true},
      {.path = "/c/python3.11", .major = 3, .minor = 11, .patch = 7, .legacy_finalizers = true},
      {.path = "/d/python3.12", .major = 3, .minor = 12, .patch = 1, .legacy_finalizers = true},
  };
  ASSERT_TRUE(pick_interpreter(found, 3, 11));
  EXPECT_EQ(pick_interpreter(found, 3, 11)->path, "/c/python3.11");
  EXPECT_FALSE(pick_interpreter(found, 3, 10));
}

TEST(CPythonOracle, FoundInterpretersAreSortedAndDistinct) {
  const std::vector<Interpreter>& found = interpreters();
  for (std::size_t i = 1; i < found.size(); ++i) {
    EXPECT_LE(std::tie(found[i - 1].major, found[i - 1].minor, found[i - 1].patch),
              std::tie(found[i].major, found[i].minor, found[i].patch));
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(found[i].path, found[j].path);
  }
  for (const Interpreter& i : found) {
    EXPECT_EQ(i.policy, policy_of_cpython(i.major, i.minor)) << i.path;
    EXPECT_TRUE(i.path.is_absolute()) << i.path;
  }
}

// A stand-in interpreter: a shell script in a fresh directory, removed afterwards.
class FakeInterpreter {
 public:
  explicit FakeInterpreter(const std::string& body) {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           fmt::format("gcfuzz-fake-python-{}-{}", ::getpid(), test->name());
    fs::create_directories(dir_);
    interpreter_.path = dir_ / "python";
    std::ofstream(interpreter_.path) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(interpreter_.path, fs::perms::owner_all);
    interpreter_.major = 3;
    interpreter_.minor = 11;
  }
  ~FakeInterpreter() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const Interpreter& get() const { return interpreter_; }

 private:
  fs::path dir_;
  Interpreter interpreter_;
};

Trace small_trace() {
  return parse_trace("alloc a 1\nlink a 0 a\ndrop a\ncollect\n", "small").parsed->trace;
}

TEST(CPythonOracle, ReportsAnInterpreterThatCannotStart) {
  Interpreter missing{.path = "/nonexistent/gcfuzz/python", .major = 3, .minor = 11};
  const OracleResult r = run_in_python(small_trace(), missing, std::chrono::seconds(5));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("/nonexistent/gcfuzz/python"), std::string::npos) << r.error;
}

TEST(CPythonOracle, ReportsAFailureWithTheTailOfStderr) {
  FakeInterpreter fake("cat >/dev/null; echo 'Traceback: something broke' >&2; exit 1");
  const OracleResult r = run_in_python(small_trace(), fake.get(), std::chrono::seconds(5));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("exited with status 1"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("something broke"), std::string::npos) << r.error;
}

TEST(CPythonOracle, KillsAnInterpreterThatRunsPastTheLimit) {
  FakeInterpreter fake("exec sleep 30");
  const auto start = std::chrono::steady_clock::now();
  const OracleResult r = run_in_python(small_trace(), fake.get(), std::chrono::milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("did not finish"), std::string::npos) << r.error;
}

TEST(CPythonOracle, SurvivesAnInterpreterThatExitsWithoutReadingItsInput) {
  // A script far larger than a pipe's buffer: writing it to a child that has gone raises
  // SIGPIPE, which must not end the test program.
  std::string text;
  for (int i = 0; i < 20'000; ++i) text += fmt::format("alloc v{} 0\n", i);
  const Trace big = parse_trace(text, "big").parsed->trace;
  FakeInterpreter fake("exit 3");
  const OracleResult r = run_in_python(big, fake.get(), std::chrono::seconds(5));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("exited with status 3"), std::string::npos) << r.error;
}

TEST(CPythonOracle, ReportsOutputThatIsNotEvents) {
  FakeInterpreter fake("cat >/dev/null; echo '{\"op\": 0, \"text\": \"alloc a 1\"}'; echo oops");
  const OracleResult r = run_in_python(small_trace(), fake.get(), std::chrono::seconds(5));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("line 1"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace gcfuzz
