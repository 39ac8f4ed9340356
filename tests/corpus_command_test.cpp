// `gcfuzz corpus`: merging a working corpus adds each new trace once, in canonical text;
// a failing trace becomes a regression test whose expectations catch the bug it records.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/commands/commands.h"
#include "harness/engine/selection.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/trace/text.h"
#include "tests/printers.h"
#include "tests/scratch.h"

namespace gcfuzz {
namespace {

namespace fs = std::filesystem;

class CorpusCommand : public ScratchTest {
 protected:
  static std::vector<fs::path> files_in(const fs::path& d) {
    std::vector<fs::path> out;
    if (!fs::exists(d)) return out;
    for (const auto& e : fs::directory_iterator(d)) out.push_back(e.path());
    return out;
  }
};

TEST_F(CorpusCommand, MergeAddsEachNewTraceOnceAndSkipsWhatTheCorpusHas) {
  write("corpus/spec/known.gct", "# a known trace\nalloc a 1\ndrop a\n");
  // libFuzzer names inputs by hash, without an extension; spacing differs from canonical.
  write("work/0a1b", "alloc  a 1\ndrop a\n");          // the known trace, other spelling
  write("work/2c3d", "alloc b 2 fin=log\ncollect\n");  // new
  write("work/4e5f", "# comment only differs\nalloc b 2 fin=log\ncollect\n");  // same as 2c3d
  write("work/6a7b", "link a zero\n");                                         // not a trace
  CorpusOptions o{.action = "merge",
                  .paths = {(dir_ / "work").string()},
                  .corpus_root = (dir_ / "corpus").string(),
                  .into = (dir_ / "corpus/fuzz").string()};
  EXPECT_EQ(corpus_command(o), kExitAgree);
  const std::vector<fs::path> added = files_in(dir_ / "corpus/fuzz");
  ASSERT_EQ(added.size(), 1u);
  const ParseResult r = load_trace(added.front());
  ASSERT_TRUE(r.parsed);
  EXPECT_EQ(r.parsed->trace.ops.size(), 2u);
  EXPECT_EQ(added.front().extension(), ".gct");
  // Merging again adds nothing.
  EXPECT_EQ(corpus_command(o), kExitAgree);
  EXPECT_EQ(files_in(dir_ / "corpus/fuzz").size(), 1u);
}

TEST_F(CorpusCommand, RegressionRecordsWhatBrokeAndItsExpectationsCatchTheMutant) {
  const fs::path failing = write("crash-1234",
                                 "alloc x 1 fin=log\nalloc a 3\ncopy a a\nalloc y 1\n"
                                 "link a 0 a\ndrop x\ncollect\ndrop y\n");
  const std::string mutant = "bacon-rajan:pep442~scan-black-no-restore";
  CorpusOptions o{.action = "regression",
                  .paths = {failing.string()},
                  .into = (dir_ / "regressions").string(),
                  .collector = mutant,
                  .name = "self_loop_recount"};
  ASSERT_EQ(corpus_command(o), kExitAgree);
  const fs::path saved = dir_ / "regressions/self_loop_recount.gct";
  const ParseResult r = load_trace(saved);
  ASSERT_TRUE(r.parsed) << r.error->to_string();
  const Trace& t = r.parsed->trace;
  ASSERT_FALSE(t.header.empty());
  EXPECT_NE(t.header.front().find(mutant), std::string::npos) << t.header.front();
  const bool has_expectation = std::any_of(
      t.ops.begin(), t.ops.end(), [](const Op& op) { return print_op(op).starts_with("expect"); });
  EXPECT_TRUE(has_expectation) << print_trace(t);
  // The saved test fails the mutant and passes the correct collector.
  const Isolation isolation{.fork = true};
  EXPECT_TRUE(run_lane(t, *select_collectors({mutant}).collectors.front(), isolation).divergence);
  for (const CollectorInfo* c : select_collectors({}).collectors) {
    EXPECT_FALSE(run_lane(t, *c, isolation).divergence) << c->name << "\n" << print_trace(t);
  }
  // It never overwrites.
  EXPECT_EQ(corpus_command(o), kExitBadInput);
}

}  // namespace
}  // namespace gcfuzz
