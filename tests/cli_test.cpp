// The gcfuzz command as a user meets it: outputs, files and exit codes (docs/commands.md: 0
// all agree, 1 a divergence or failed expectation, 2 bad usage or input, 3 internal error).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/trace/text.h"
#include "tests/printers.h"
#include "tests/sanitizer.h"
#include "tests/scratch.h"

namespace gcfuzz {
namespace {

namespace fs = std::filesystem;

class Cli : public ScratchTest {};

const std::string kLeakTest =
    "alloc a 1 fin=log\nalloc b 1 fin=log\nlink a 0 b\nlink b 0 a\ndrop a\ndrop b\ncollect\n";

TEST_F(Cli, MalformedTraceIsFileLineColumnAndExitTwo) {
  const fs::path bad = write("bad.gct", "alloc a 1\nlink a zero b\n");
  for (const std::string verb : {"replay", "model", "show", "show --python", "show --dot"}) {
    const CommandOutcome r = gcfuzz(verb + " " + bad.string());
    EXPECT_EQ(r.status, 2) << verb;
    EXPECT_EQ(r.err, bad.string() + ":2:8: expected a slot index (0..15), got 'zero'\n") << verb;
    EXPECT_EQ(r.out, "") << verb;
  }
}

TEST_F(Cli, BadUsageIsExitTwo) {
  EXPECT_EQ(gcfuzz("").status, 2);
  EXPECT_EQ(gcfuzz("frobnicate").status, 2);
  EXPECT_EQ(gcfuzz("run --traces many").status, 2);
  const CommandOutcome unknown =
      gcfuzz("replay -c nosuch:collector " + write("t.gct", kLeakTest).string());
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("no collector matches 'nosuch:collector'"), std::string::npos);
  EXPECT_EQ(gcfuzz("model --policy python4 " + write("u.gct", kLeakTest).string()).status, 2);
  EXPECT_EQ(gcfuzz("replay " + (dir_ / "missing.gct").string()).status, 2);
  EXPECT_EQ(gcfuzz("--help").status, 0);
}

TEST_F(Cli, ListShowsTheCollectorsAndHidesMutants) {
  const CommandOutcome r = gcfuzz("list");
  EXPECT_EQ(r.status, 0);
  for (const char* name : {"refcount:pep442", "trial-deletion:pep442",
                           "trial-deletion:pep442-whole", "trial-deletion:legacy"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(r.out.find("~"), std::string::npos);
  const CommandOutcome all = gcfuzz("list --mutants");
  EXPECT_NE(all.out.find("refcount:pep442~finalize-twice"), std::string::npos);
}

TEST_F(Cli, ModelShowsTheLeakTestPairUnderEachPolicy) {
  const fs::path pair = write("pair.gct", kLeakTest);
  const CommandOutcome legacy = gcfuzz("model --policy legacy --json " + pair.string());
  EXPECT_EQ(legacy.status, 0);
  EXPECT_NE(
      legacy.out.find(R"({"op": 6, "text": "collect", "freed": [], "finalized": [], )"
                      R"("garbage": [0, 1], "cleared": [], "callbacks": [], "collected": 2})"),
      std::string::npos)
      << legacy.out;
  const CommandOutcome pep442 = gcfuzz("model --policy pep442 --json " + pair.string());
  EXPECT_NE(pep442.out.find(R"({"op": 6, "text": "collect", "freed": [0, 1], "finalized": [0, 1], )"
                            R"("garbage": [], "cleared": [], "callbacks": [], "collected": 2})"),
            std::string::npos)
      << pep442.out;
}

TEST_F(Cli, FailedExpectationIsExitOne) {
  const fs::path t = write("e.gct", kLeakTest +
                                        "expect garbage @0 @1 when legacy\n"
                                        "expect freed @0 when pep442\n");
  EXPECT_EQ(gcfuzz("model --policy legacy " + t.string()).status, 0);
  EXPECT_EQ(gcfuzz("model --policy pep442 " + t.string()).status, 0);
  EXPECT_EQ(gcfuzz("replay " + t.string()).status, 0);
  const fs::path wrong = write("w.gct", kLeakTest + "expect freed @0 when legacy\n");
  const CommandOutcome r = gcfuzz("model --policy legacy " + wrong.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(wrong.string() + ":8: expectation failed under legacy: @0 is not freed"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(gcfuzz("replay -c trial-deletion:legacy " + wrong.string()).status, 1);
}

TEST_F(Cli, ReplayOfAMutantIsExitOneWithTheDivergence) {
  const fs::path t = write("r.gct", "alloc a 1 fin=resurrect\ndrop a\nclear revived\n");
  EXPECT_EQ(gcfuzz("replay -c refcount:pep442 " + t.string()).status, 0);
  const CommandOutcome r = gcfuzz("replay -c refcount:pep442~finalize-twice " + t.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("refcount:pep442~finalize-twice: finalizer divergence at op 2 (" +
                       t.string() + ":3): clear revived"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("SUMMARY: gcfuzz replay: 1 divergence in"), std::string::npos);
}

TEST_F(Cli, ReplayJsonHasOneObjectPerOpAndCollector) {
  const CommandOutcome r =
      gcfuzz("replay --json -c trial-deletion:legacy " + write("j.gct", kLeakTest).string());
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find(R"("garbage":[0,1])"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 7);
}

TEST_F(Cli, RunSavesShrunkFailuresAtomicallyUnderTheirHash) {
  const fs::path saved = dir_ / "saved";
  const CommandOutcome r = gcfuzz(
      "run --quiet --seed 1 --traces 2000 -c 'refcount:pep442~finalize-twice' "
      "--save " +
      saved.string());
  EXPECT_EQ(r.status, 1);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(saved)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].extension(), ".gct");
  EXPECT_EQ(files[0].filename().string().rfind("refcount-pep442~finalize-twice-", 0), 0u);
  const ParseResult parsed = load_trace(files[0]);
  ASSERT_FALSE(parsed.error);
  EXPECT_LE(parsed.parsed->trace.ops.size(), 5u);
  // The saved file reproduces the divergence as-is.
  EXPECT_EQ(gcfuzz("replay -c 'refcount:pep442~finalize-twice' " + files[0].string()).status, 1);
  EXPECT_EQ(gcfuzz("replay -c refcount:pep442 " + files[0].string()).status, 0);
  EXPECT_NE(r.out.find("saved: " + files[0].string()), std::string::npos);
}

TEST_F(Cli, RunOverTheRealCollectorsAgrees) {
  const CommandOutcome r = gcfuzz("run --quiet --seed 5 --traces 300");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("SUMMARY: gcfuzz run: 300 traces"), std::string::npos) << r.out;
}

// --coverage: the table comes before the SUMMARY line, per model the collectors are judged
// against; --coverage-json writes the same counts.
TEST_F(Cli, CoverageReportsTheRulesOfRunReplayAndCompare) {
  const fs::path json = dir_ / "coverage.json";
  const CommandOutcome replay = gcfuzz("replay -c trial-deletion:legacy --coverage-json " +
                                       json.string() + " " + write("c.gct", kLeakTest).string());
  EXPECT_EQ(replay.status, 0) << replay.err;
  const std::size_t table = replay.out.find("spec coverage, legacy: ");
  ASSERT_NE(table, std::string::npos) << replay.out;
  EXPECT_LT(table, replay.out.find("SUMMARY: gcfuzz replay"));
  EXPECT_NE(replay.out.find("garbage-appended"), std::string::npos) << replay.out;
  std::ifstream in(json);
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("schema"), "gcfuzz-coverage/1");
  EXPECT_EQ(j.at("configurations").at(0).at("policy"), "legacy");
  EXPECT_GT(j.at("configurations").at(0).at("rules").at("garbage-appended").get<int>(), 0);

  const CommandOutcome run = gcfuzz("run --quiet --traces 30 -c refcount:pep442 --coverage");
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("spec coverage, pep442 without cycle collection: "), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("refcount-death"), std::string::npos) << run.out;

  const CommandOutcome compare = gcfuzz("compare --quiet -c mark-sweep:java -w corpus --corpus " +
                                        std::string(GCFUZZ_SOURCE_DIR) + "/corpus --coverage");
  EXPECT_EQ(compare.status, 0) << compare.err;
  EXPECT_NE(compare.err.find(
                "workload corpus:\nspec coverage, java without young collections: 17 of 17 rules"),
            std::string::npos)
      << compare.err;

  // A file where the report's folder should be: one line, exit 2.
  const fs::path blocked = write("blocked", "a file") / "c.json";
  const CommandOutcome unwritable = gcfuzz("replay --coverage-json " + blocked.string() + " " +
                                           write("d.gct", kLeakTest).string());
  EXPECT_EQ(unwritable.status, 2);
  EXPECT_NE(unwritable.err.find("gcfuzz: --coverage-json: "), std::string::npos) << unwritable.err;
}

TEST_F(Cli, ShowPrintsCanonicalTextDotAndPython) {
  const fs::path t = write("s.gct", "# a comment\nalloc  a 1 fin=none\n" + kLeakTest);
  EXPECT_EQ(gcfuzz("show " + t.string()).out, "# a comment\nalloc a 1\n" + kLeakTest);
  const CommandOutcome dot = gcfuzz("show --dot --policy legacy " + t.string());
  EXPECT_EQ(dot.status, 0);
  EXPECT_EQ(dot.out.rfind("digraph heap {", 0), 0u);
  EXPECT_NE(dot.out.find("garbage -> o1"), std::string::npos);
  const CommandOutcome out_of_range = gcfuzz("show --dot --at 99 " + t.string());
  EXPECT_EQ(out_of_range.status, 2);
  EXPECT_EQ(out_of_range.out, "");
  EXPECT_EQ(out_of_range.err, "gcfuzz: --at 99: the trace has 8 ops (0..7)\n");
  const CommandOutcome py = gcfuzz("show --python " + t.string());
  EXPECT_NE(py.out.find("import gc"), std::string::npos);
  EXPECT_NE(py.out.find("run(7, 'collect', op_collect, False)"), std::string::npos);
}

bool graphviz_installed() {
  return std::system("command -v dot >/dev/null 2>&1") == 0;
}

// The node statement of object `node` (`o0`) in dot text, or "" when it is not drawn.
std::string node_line(const std::string& dot, const std::string& node) {
  std::istringstream lines(dot);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  " + node + " [", 0) == 0) return line;
  }
  return "";
}

// mark-sweep:java~skip-last-slot never marks an object's last slot: @0, held only by b's
// one slot, is freed at op 4 although reachable. (Found by `gcfuzz run`, then minimized.)
const std::string kSkipLastSlot =
    "alloc a 0\nalloc b 1\nlink b 0 a\nalloc a 0\ncollect\nalloc c 0\ncollect\n";

TEST_F(Cli, ShowDotDrawsTheFirstDivergenceWithTheObjectInRed) {
  const fs::path t = write("skip.gct", kSkipLastSlot);
  const CommandOutcome r = gcfuzz("show --dot -c 'mark-sweep:java~skip-last-slot' " + t.string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph heap {", 0), 0u);
  // By default, the heap after the diverging op (not after the last).
  EXPECT_NE(r.out.find(t.string() + ": the heap after op 4: collect"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mark-sweep:java~skip-last-slot: safety divergence at op 4: freed @0, "
                       "which is reachable"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("safety divergence at op 4; the heap after op 4"), std::string::npos)
      << r.err;
  const std::string freed = node_line(r.out, "o0");
  EXPECT_NE(freed.find("color=red"), std::string::npos) << freed;
  EXPECT_NE(freed.find("freed by the collector;\\nreachable in the model"), std::string::npos)
      << freed;
  EXPECT_EQ(node_line(r.out, "o1").find("color=red"), std::string::npos);
  EXPECT_EQ(node_line(r.out, "o3"), "");  // not yet allocated at op 4
  EXPECT_NE(r.out.find("o1 -> o0 [label=\"[0]\"]"), std::string::npos) << r.out;

  // --at draws another op, and says where the divergence was.
  const CommandOutcome later =
      gcfuzz("show --dot --at 6 -c 'mark-sweep:java~skip-last-slot' " + t.string());
  EXPECT_EQ(later.status, 0);
  EXPECT_NE(later.out.find("the heap after op 6: collect"), std::string::npos) << later.out;
  EXPECT_NE(later.out.find("safety divergence at op 4 (not drawn here)"), std::string::npos);
  EXPECT_EQ(later.out.find("color=red"), std::string::npos) << later.out;

  if (!graphviz_installed()) GTEST_SKIP() << "Graphviz `dot` is not installed";
  write("heap.dot", r.out);
  EXPECT_EQ(std::system(("dot -Tsvg " + (dir_ / "heap.dot").string() + " -o " +
                         (dir_ / "heap.svg").string())
                            .c_str()),
            0);
}

TEST_F(Cli, ShowDotOfACorpusTraceWithoutDivergenceRenders) {
  const fs::path pair = fs::path(GCFUZZ_SOURCE_DIR) / "corpus/seeds/leaktest_pair.gct";
  const CommandOutcome r = gcfuzz("show --dot --policy legacy " + pair.string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("no divergence on 1 collector; the heap after the last op"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out.find("color=red"), std::string::npos);
  EXPECT_NE(r.out.find("garbage -> o0"), std::string::npos) << r.out;
  EXPECT_NE(node_line(r.out, "o0").find("in garbage"), std::string::npos);
  EXPECT_NE(r.out.find("subgraph cluster_legend"), std::string::npos);
  if (!graphviz_installed()) GTEST_SKIP() << "Graphviz `dot` is not installed";
  write("pair.dot", r.out);
  EXPECT_EQ(std::system(("dot -Tsvg " + (dir_ / "pair.dot").string() + " -o " +
                         (dir_ / "pair.svg").string())
                            .c_str()),
            0);
}

TEST_F(Cli, ShowSurvivesACrashingCollector) {
  // generational:java~unscanned-promotions reads a poisoned nursery object at op 2; under
  // AddressSanitizer that ends its child process, not `show`.
  const fs::path t = write("crash.gct", "alloc a 1 fin=alloc\nlink a 0 a\ncollect young\n");
  const CommandOutcome r =
      gcfuzz("show --dot -c 'generational:java~unscanned-promotions' " + t.string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph heap {", 0), 0u);
  if (kAddressSanitizer) {
    EXPECT_NE(r.out.find("generational:java~unscanned-promotions: crash divergence at op 2: "
                         "ERROR: AddressSanitizer"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("the heap after op 2: collect young"), std::string::npos);
  }
}

TEST_F(Cli, ShowRendersSvgAndPngThroughGraphviz) {
  const fs::path t = write("skip.gct", kSkipLastSlot);
  const fs::path svg = dir_ / "out" / "heap.svg", png = dir_ / "heap.png";
  if (graphviz_installed()) {
    const CommandOutcome r = gcfuzz("show -c 'mark-sweep:java~skip-last-slot' --svg " +
                                    svg.string() + " --png " + png.string() + " " + t.string());
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");  // no --dot: only the files
    const std::string image = read_file(svg);
    EXPECT_TRUE(image.rfind("<?xml", 0) == 0 || image.rfind("<svg", 0) == 0) << image.substr(0, 80);
    EXPECT_NE(image.find("freed by the collector;"), std::string::npos);
    EXPECT_EQ(read_file(png).rfind("\x89PNG", 0), 0u);
    for (const auto& e : fs::directory_iterator(dir_ / "out")) {
      EXPECT_EQ(e.path(), svg) << "a temporary file was left behind";
    }
  }
  // Without Graphviz on PATH: a clear error, exit 2, nothing written.
  const fs::path none = dir_ / "none.svg";
  const CommandOutcome missing =
      gcfuzz("show --svg " + none.string() + " " + t.string(), "PATH=" + (dir_ / "empty").string());
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(missing.err, "gcfuzz: Graphviz `dot` not found; install graphviz or use --dot\n");
  EXPECT_FALSE(fs::exists(none));
}

}  // namespace
}  // namespace gcfuzz
