// Collectors from plugins (include/gcfuzz/plugin.h), as a user meets them through the gcfuzz
// command: a plugin that cannot be used is refused with one line and exit code 2 before any
// trace runs; a good one's collectors go through every verb like gcfuzz's own, with the same
// checks, the same isolation and the same mutation score. The plugins are built by
// tests/CMakeLists.txt into GCFUZZ_TEST_PLUGIN_DIR.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/scratch.h"

namespace gcfuzz {
namespace {

namespace fs = std::filesystem;

std::string plugin(const std::string& name) {
  return (fs::path(GCFUZZ_TEST_PLUGIN_DIR) / (name + ".so")).string();
}

class Plugins : public ScratchTest {
 protected:
  // A plugin that cannot be used: `run` stops with exit 2 and exactly one line, which begins
  // with `expected`, before any trace runs (nothing on stdout).
  void expect_refused(const std::string& path, const std::string& expected) {
    const CommandOutcome r = gcfuzz("--plugin " + path + " run --traces 10");
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind(expected, 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
};

// ---- Bad input: each refused with one line and exit code 2 ----

TEST_F(Plugins, AMissingFileIsRefused) {
  expect_refused("/nonexistent/gcfuzz/plugin.so",
                 "gcfuzz: plugin /nonexistent/gcfuzz/plugin.so: no such file");
}

TEST_F(Plugins, AFileThatIsNotASharedObjectIsRefused) {
  const std::string text = write("notes.so", "these are not machine instructions\n").string();
  expect_refused(text, "gcfuzz: plugin " + text + ": not a loadable shared object (");
}

TEST_F(Plugins, APluginWithoutTheEntryPointIsRefused) {
  expect_refused(plugin("broken_plugin_1"), "gcfuzz: plugin " + plugin("broken_plugin_1") +
                                                ": no entry point: it does not export "
                                                "gcfuzz_plugin()");
}

TEST_F(Plugins, AnotherAbiVersionIsRefused) {
  expect_refused(plugin("broken_plugin_2"),
                 "gcfuzz: plugin " + plugin("broken_plugin_2") +
                     ": ABI version mismatch: built for plugin ABI 2, this gcfuzz speaks ABI 1");
}

TEST_F(Plugins, ANameGcfuzzAlreadyHasIsRefused) {
  expect_refused(plugin("broken_plugin_3"),
                 "gcfuzz: plugin " + plugin("broken_plugin_3") +
                     ": duplicate name: a collector named mark-sweep:java is already registered");
  // The same plugin twice, under two paths, offers its names twice.
  const fs::path copy = dir_ / "again.so";
  fs::copy_file(plugin("broken_plugin_0"), copy);
  const CommandOutcome twice =
      gcfuzz("--plugin " + plugin("broken_plugin_0") + " --plugin " + copy.string() + " list");
  EXPECT_EQ(twice.status, 2);
  EXPECT_NE(twice.err.find("duplicate name: a collector named broken:java is already registered"),
            std::string::npos)
      << twice.err;
}

TEST_F(Plugins, InvalidCapabilitiesAreRefused) {
  expect_refused(plugin("broken_plugin_4"),
                 "gcfuzz: plugin " + plugin("broken_plugin_4") +
                     ": collector broken:java: invalid capabilities: policy 9 is not one of 0-5");
}

TEST_F(Plugins, ANullFunctionWhereOneIsRequiredIsRefused) {
  expect_refused(plugin("broken_plugin_5"),
                 "gcfuzz: plugin " + plugin("broken_plugin_5") +
                     ": collector broken:java: a null function where one is required: ops.link");
}

TEST_F(Plugins, TheEnvironmentVariableLoadsPluginsAndIsCheckedAlike) {
  const CommandOutcome bad = gcfuzz("list", "GCFUZZ_PLUGINS=" + plugin("broken_plugin_2"));
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("ABI version mismatch"), std::string::npos) << bad.err;
  const CommandOutcome good = gcfuzz("list --mutants", "GCFUZZ_PLUGINS=" + plugin("c_mark_sweep") +
                                                           ":" + plugin("broken_plugin_0"));
  EXPECT_EQ(good.status, 0) << good.err;
  EXPECT_NE(good.out.find("c-mark-sweep:java"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("broken:java"), std::string::npos) << good.out;
}

// ---- A good plugin, through every verb ----

TEST_F(Plugins, ListShowsAPluginsCollectorsWithTheirOrigin) {
  const CommandOutcome r = gcfuzz("--plugin " + plugin("c_mark_sweep") + " list --mutants");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* name : {"c-mark-sweep:java ", "c-mark-sweep:java~revived-not-root",
                           "c-mark-sweep:java~frees-what-finalizers-reach"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("examples/c-plugin"), std::string::npos) << r.out;
  // The option may follow the verb too.
  EXPECT_EQ(gcfuzz("list --plugin " + plugin("c_mark_sweep")).status, 0);
}

TEST_F(Plugins, ACPluginAgreesWithItsModelOnRandomTracesAndTheCorpus) {
  const std::string p = "--plugin " + plugin("c_mark_sweep");
  const CommandOutcome run = gcfuzz(p + " run -c c-mark-sweep:java --traces 500 --quiet");
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("SUMMARY: gcfuzz run: 500 traces"), std::string::npos) << run.out;
  const CommandOutcome replay =
      gcfuzz(p + " replay -c c-mark-sweep:java " + std::string(GCFUZZ_SOURCE_DIR) + "/corpus");
  EXPECT_EQ(replay.status, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("all agree"), std::string::npos) << replay.out;
}

TEST_F(Plugins, SelftestCatchesEveryMutantOfACPlugin) {
  const CommandOutcome r = gcfuzz("--plugin " + plugin("c_mark_sweep") +
                                  " selftest -c 'c-mark-sweep:*' --suite " + dir_.string());
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("SUMMARY: gcfuzz selftest: 2/2 mutants caught"), std::string::npos) << r.out;
}

// A trace on which ~revived-not-root frees the object `revived` holds.
const std::string kResurrection =
    "alloc a 1 fin=resurrect\nalloc b 0\nlink a 0 b\ndrop b\ndrop a\ncollect\ncollect\n";

TEST_F(Plugins, APluginMutantIsMinimizedShownAndReplayedLikeABuiltInOne) {
  const std::string p = "--plugin " + plugin("c_mark_sweep");
  const fs::path trace = write("t.gct", "alloc x 2\n" + kResurrection + "alloc y 0\n");
  const std::string mutant = "c-mark-sweep:java~revived-not-root";
  const CommandOutcome replay = gcfuzz(p + " replay -c " + mutant + " " + trace.string());
  EXPECT_EQ(replay.status, 1) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("safety divergence at op 7"), std::string::npos) << replay.out;
  const fs::path out = dir_ / "min.gct";
  const CommandOutcome minimized =
      gcfuzz(p + " minimize -c " + mutant + " " + trace.string() + " -o " + out.string());
  EXPECT_EQ(minimized.status, 1) << minimized.err;
  EXPECT_NE(read_file(out).find("fin=resurrect"), std::string::npos) << read_file(out);
  EXPECT_EQ(read_file(out).find("alloc x"), std::string::npos) << read_file(out);
  const CommandOutcome shown = gcfuzz(p + " show --dot -c " + mutant + " " + trace.string());
  EXPECT_EQ(shown.status, 0) << shown.err;
  EXPECT_NE(shown.out.find("digraph"), std::string::npos);
  EXPECT_NE(shown.out.find("red"), std::string::npos) << shown.out;
  const CommandOutcome model = gcfuzz(p + " model -c c-mark-sweep:java " + trace.string());
  EXPECT_EQ(model.status, 0) << model.err;
}

TEST_F(Plugins, CompareSetsAPluginBesideABuiltInCollector) {
  const CommandOutcome r = gcfuzz("--plugin " + plugin("c_mark_sweep") +
                                  " compare -c c-mark-sweep:java -c mark-sweep:java -w random -w "
                                  "graph-1k --traces 50 --format csv --quiet");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("c-mark-sweep:java"), std::string::npos) << r.out;
}

// ---- The C++ layer: gcfuzz's own mark-sweep, through the C ABI ----

TEST_F(Plugins, ACppCollectorExportedThroughTheCLayerKeepsItsChecksAndItsMutants) {
  const std::string p = "--plugin " + plugin("cpp_mark_sweep");
  const CommandOutcome run = gcfuzz(p + " run -c 'plugin-mark-sweep:*' --traces 300 --quiet");
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("plugin-mark-sweep:boehm"), std::string::npos) << run.out;
  const CommandOutcome selftest =
      gcfuzz(p + " selftest -c 'plugin-mark-sweep:java~*' --suite " + dir_.string());
  EXPECT_EQ(selftest.status, 0) << selftest.out << selftest.err;
  EXPECT_NE(selftest.out.find("5/5 mutants caught"), std::string::npos) << selftest.out;
}

// ---- Isolation: a plugin that crashes or hangs is a divergence of that collector ----

TEST_F(Plugins, APluginThatCrashesIsADivergenceAndTheOthersGoOn) {
  const fs::path trace = write("t.gct", kResurrection);
  const CommandOutcome r =
      gcfuzz("--plugin " + plugin("broken_plugin_6") +
             " replay -c broken-crash:java -c mark-sweep:java " + trace.string());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("broken-crash:java: crash divergence at op 5"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("mark-sweep:java:"), std::string::npos) << r.out;  // it agreed
  EXPECT_NE(r.out.find("1 divergence"), std::string::npos) << r.out;
}

TEST_F(Plugins, APluginThatHangsIsATimeoutAndTheOthersGoOn) {
  const fs::path trace = write("t.gct", kResurrection);
  const CommandOutcome r =
      gcfuzz("--plugin " + plugin("broken_plugin_7") +
             " replay --timeout 2 -c broken-hang:java -c mark-sweep:java " + trace.string());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("broken-hang:java: timeout divergence"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 divergence"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gcfuzz
