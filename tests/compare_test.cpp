// `gcfuzz compare` and the mutation score: the synthetic heaps, the engine's counts and
// costs, a crashing collector failing one workload only, and the command's formats.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "collectors/registry.h"
#include "harness/campaigns/campaign.h"
#include "harness/campaigns/compare.h"
#include "harness/campaigns/selftest.h"
#include "harness/engine/runner.h"
#include "harness/trace/text.h"
#include "harness/trace/workloads.h"
#include "tests/sanitizer.h"

namespace gcfuzz {
namespace {

namespace fs = std::filesystem;

const CollectorInfo* collector(std::string_view name) {
  const CollectorInfo* c = find_collector(name);
  EXPECT_NE(c, nullptr) << name;
  return c;
}

Workload synthetic(Shape shape, std::size_t objects) {
  Workload w{.name = synthetic_name(shape, objects),
             .kind = WorkloadKind::synthetic,
             .shape = shape,
             .objects = objects};
  w.traces.push_back(synthetic_trace(shape, objects, 1));
  return w;
}

Workload random_traces(std::size_t count) {
  Workload w{.name = "random", .kind = WorkloadKind::random};
  for (std::size_t i = 0; i < count; ++i) w.traces.push_back(campaign_trace(1, i, 64).value());
  return w;
}

TEST(SyntheticHeaps, EachShapeAllocatesItsObjectsAndPep442FreesThemAll) {
  for (std::size_t s = 0; s < kShapeNames.size(); ++s) {
    const Shape shape = static_cast<Shape>(s);
    for (std::size_t n : {1, 2, 7, 1000}) {
      const Trace t = synthetic_trace(shape, n, 3);
      const auto allocs = std::count_if(t.ops.begin(), t.ops.end(), [](const Op& op) {
        return std::holds_alternative<Alloc>(op);
      });
      EXPECT_EQ(static_cast<std::size_t>(allocs), n) << name_of(shape) << " " << n;
      ASSERT_TRUE(std::holds_alternative<Collect>(t.ops.back()));
      // Every object is trash at the end, and the collector judged exactly frees each once.
      Lane lane(*collector("trial-deletion:pep442"));
      std::size_t freed = 0;
      for (std::size_t i = 0; i < t.ops.size(); ++i) {
        Events observed;
        ASSERT_FALSE(lane.step(i, t.ops[i], &observed)) << name_of(shape) << " op " << i;
        freed += observed.freed.size();
      }
      EXPECT_FALSE(lane.finish(t.ops.size()));
      EXPECT_EQ(freed, n) << name_of(shape) << " " << n;
    }
  }
}

TEST(SyntheticHeaps, NamesRoundTrip) {
  EXPECT_EQ(parse_synthetic_name("tree-20k"), std::pair(Shape::tree, std::size_t{20'000}));
  EXPECT_EQ(parse_synthetic_name("graph-1M"), std::pair(Shape::graph, std::size_t{1'000'000}));
  EXPECT_EQ(parse_synthetic_name("list-37"), std::pair(Shape::list, std::size_t{37}));
  for (const char* bad : {"tree-", "tree-0", "heap-1k", "tree-1G", "tree-5M", "tree-1kk", "tree"}) {
    EXPECT_EQ(parse_synthetic_name(bad), std::nullopt) << bad;
  }
  for (const std::string& name : known_workload_names()) {
    if (name == "corpus" || name == "random") continue;
    const auto parsed = parse_synthetic_name(name);
    ASSERT_TRUE(parsed) << name;
    EXPECT_EQ(synthetic_name(parsed->first, parsed->second), name);
  }
}

TEST(Comparison, CountsTheDivergencesOfAMutantAndNoneOfItsOriginal) {
  const std::vector<Workload> workloads = {random_traces(300)};
  const nlohmann::json r =
      run_comparison({collector("mark-sweep:java"), collector("mark-sweep:java~skip-last-slot")},
                     workloads, CompareOptions{});
  ASSERT_EQ(r["collectors"].size(), 2u);
  const nlohmann::json& original = r["collectors"][0]["agreement"];
  const nlohmann::json& mutant = r["collectors"][1]["agreement"];
  EXPECT_EQ(original["traces"], 300);
  EXPECT_EQ(original["divergent"], 0);
  EXPECT_TRUE(original["first_failure"].is_null());
  EXPECT_EQ(mutant["traces"], 300);
  EXPECT_GE(mutant["divergent"].get<int>(), 1);
  EXPECT_EQ(mutant["first_failure"]["workload"], "random");
  EXPECT_EQ(r["collectors"][1]["workloads"][0]["status"], "diverged");
}

TEST(Comparison, EventsAreCountedOncePerOpNotAgainAtExpectations) {
  const ParseResult parsed =
      parse_trace("alloc a 0\ndrop a\nexpect freed @0\nexpect freed @0\n", "t.gct");
  ASSERT_TRUE(parsed.parsed);
  Workload w{.name = "corpus", .kind = WorkloadKind::corpus};
  w.traces.push_back(parsed.parsed->trace);
  const nlohmann::json r = run_comparison({collector("refcount:pep442")}, {w}, {});
  EXPECT_EQ(r["collectors"][0]["events"]["freed"], 1);
}

TEST(Comparison, SyntheticHeapsAreTimedAndTheirMemoryWatched) {
  std::vector<Workload> workloads = {synthetic(Shape::graph, 1000), synthetic(Shape::list, 20'000)};
  workloads[1].checked = false;
  const nlohmann::json r = run_comparison({collector("mark-sweep:java")}, workloads, {});
  const nlohmann::json& checked = r["collectors"][0]["workloads"][0];
  EXPECT_EQ(checked["status"], "ok");
  EXPECT_EQ(checked["traces"], 1);
  EXPECT_EQ(checked["ops"], workloads[0].traces[0].ops.size());
  EXPECT_EQ(checked["pauses"]["count"], 2);  // the live collection and the reclaiming one
  EXPECT_GT(checked["full_collection_ms"].get<double>(), 0);
  EXPECT_GT(checked["reclaim_ms"].get<double>(), 0);
  EXPECT_EQ(checked["events"]["freed"], 1000);  // in lockstep: every object, once
  // Timed only: no agreement claimed, no events counted, the costs measured.
  const nlohmann::json& timed = r["collectors"][0]["workloads"][1];
  EXPECT_EQ(timed["checked"], false);
  EXPECT_EQ(timed["traces"], 0);
  EXPECT_EQ(timed["events"]["freed"], 0);
  EXPECT_EQ(timed["pauses"]["count"], 2);
  EXPECT_GT(timed["peak_heap_bytes"].get<double>(), 20'000.0 * 16);  // at least the slots
  EXPECT_EQ(r["collectors"][0]["agreement"]["traces"], 1);
  // The collector's figures stand on the largest graph.
  EXPECT_EQ(r["collectors"][0]["cost"]["full_collection_workload"], "graph-1k");
}

TEST(Comparison, ACrashingCollectorFailsThatWorkloadAndTheComparisonGoesOn) {
  if (!kAddressSanitizer) GTEST_SKIP() << "the crash is an AddressSanitizer report";
  // It reads a weak reference whose object it freed: poisoned memory, a crash in the child.
  const std::vector<Workload> workloads = {random_traces(200), synthetic(Shape::tree, 1000)};
  const nlohmann::json r =
      run_comparison({collector("semispace:java~stale-weakrefs")}, workloads, {});
  const nlohmann::json& c = r["collectors"][0];
  EXPECT_EQ(c["workloads"][0]["status"], "crashed");
  EXPECT_NE(c["workloads"][0]["reason"].get<std::string>().find("AddressSanitizer"),
            std::string::npos);
  EXPECT_EQ(c["workloads"][1]["status"], "ok");
  EXPECT_EQ(c["agreement"]["failed_workloads"], 1);
  EXPECT_EQ(c["agreement"]["traces"], 1);  // the tree only
  EXPECT_EQ(c["agreement"]["first_failure"]["check"], "crash");
}

#ifdef GCFUZZ_HAVE_CPYTHON
TEST(MutationScore, TheFixedSuiteCatchesTheMutantItWasWrittenForAndMissesAnother) {
  SelftestOptions o;
  o.mutants = {"cpython-3.11:pep442~traverse-skips-slot", "refcount:pep442~link-keeps-old"};
  o.suite = std::string(GCFUZZ_SOURCE_DIR) + "/corpus/cpython";
  const nlohmann::json score = mutation_score(o, nullptr);
  EXPECT_EQ(score["schema"], "gcfuzz-selftest/1");
  EXPECT_EQ(score["caught"], 2);
  ASSERT_EQ(score["mutants"].size(), 2u);
  EXPECT_EQ(score["mutants"][0]["corpus_cpython"]["caught"], true);
  EXPECT_NE(score["mutants"][0]["corpus_cpython"]["trace"].get<std::string>().find(
                "cycle_through_a_later_slot"),
            std::string::npos);
  EXPECT_EQ(score["mutants"][1]["corpus_cpython"]["caught"], false);
  EXPECT_TRUE(score["mutants"][0]["libfuzzer"].is_null());
  // Grouped by the collector mutated, in registry order.
  ASSERT_EQ(score["collectors"].size(), 2u);
  EXPECT_EQ(score["collectors"][0]["name"], "refcount:pep442");
  EXPECT_EQ(score["collectors"][0]["rapidcheck"]["caught"], 1);
  EXPECT_EQ(score["collectors"][0]["corpus_cpython"]["caught"], 0);
  EXPECT_EQ(score["collectors"][1]["corpus_cpython"]["caught"], 1);
}
#endif

// ---- The command ----

struct CommandRun {
  int status = -1;
  std::string out, err;
};

CommandRun gcfuzz(const std::string& args) {
  const fs::path dir = fs::temp_directory_path() / ("gcfuzz-compare-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string command = std::string(GCFUZZ_BINARY) + " " + args + " >" +
                              (dir / "out").string() + " 2>" + (dir / "err").string();
  const int raw = std::system(command.c_str());
  auto slurp = [](const fs::path& p) {
    std::ostringstream s;
    s << std::ifstream(p).rdbuf();
    return s.str();
  };
  CommandRun r{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(dir / "out"), slurp(dir / "err")};
  fs::remove_all(dir);
  return r;
}

TEST(CompareCommand, FormatsAndSavedResults) {
  const fs::path json =
      fs::temp_directory_path() / ("compare-" + std::to_string(::getpid()) + ".json");
  const std::string corpus = std::string(GCFUZZ_SOURCE_DIR) + "/corpus/seeds";
  const CommandRun saved = gcfuzz(
      "compare -c mark-sweep:java -c refcount:pep442 -w corpus -w list-1k "
      "--corpus " +
      corpus + " --format json -o " + json.string());
  ASSERT_EQ(saved.status, 0) << saved.err;
  EXPECT_NE(saved.err.find("SUMMARY: gcfuzz compare: 2 collectors x 2 workloads"),
            std::string::npos);

  const CommandRun csv = gcfuzz("compare --from " + json.string() + " --format csv");
  EXPECT_EQ(csv.status, 0);
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 5);  // a header, 2 x 2 rows
  EXPECT_EQ(csv.out.rfind("collector,workload,status,", 0), 0u);
  EXPECT_NE(csv.out.find("\nrefcount:pep442,list-1k,ok,1,0,"), std::string::npos);

  const CommandRun md = gcfuzz("compare --from " + json.string() + " --format md");
  EXPECT_EQ(md.status, 0);
  EXPECT_NE(md.out.find("\n| mark-sweep:java | "), std::string::npos);
  EXPECT_NE(md.out.find("| list-1k | 1 |"), std::string::npos);
  fs::remove(json);
}

TEST(CompareCommand, BadInputIsExitTwo) {
  EXPECT_EQ(gcfuzz("compare -w heap-1k").status, 2);
  EXPECT_EQ(gcfuzz("compare --format pdf").status, 2);
  const fs::path bad = fs::temp_directory_path() / ("bad-" + std::to_string(::getpid()) + ".json");
  std::ofstream(bad) << "{\"schema\": \"something else\"}";
  const CommandRun r = gcfuzz("compare --from " + bad.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            bad.string() + ":1:1: not a gcfuzz-compare/1 result (gcfuzz compare --format json)\n");
  fs::remove(bad);
}

}  // namespace
}  // namespace gcfuzz
