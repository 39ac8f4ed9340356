// The model's `lua` policy against real Lua 5.4 (SPEC.md 3.6 and section 6): every corpus
// trace and 500 random traces, run in `lua5.4` as the scripts of `gcfuzz show --lua`, must
// produce the model's events op for op, in incremental mode (the model without generations)
// and in generational mode (`collect young` = one minor collection). Also tests that the
// Lua oracle reports a missing interpreter and a failing script clearly.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/campaigns/campaign.h"
#include "harness/external/lua_script.h"
#include "harness/trace/event_format.h"
#include "harness/trace/text.h"
#include "model/model.h"
#include "tests/corpus_files.h"
#include "tests/oracle_difference.h"
#include "tests/printers.h"

namespace gcfuzz {

// The mode's name in GoogleTest's messages and test listings (LuaMode is gcfuzz's).
inline void PrintTo(LuaMode mode, std::ostream* os) {
  *os << name_of(mode);
}

namespace {

namespace fs = std::filesystem;

constexpr std::chrono::milliseconds kTraceLimit{60'000};
constexpr std::size_t kRandomTraces = 500;
constexpr std::uint64_t kRandomSeed = 20261121;  // as the CPython ground truth

const std::optional<LuaInterpreter>& lua() {
  static const std::optional<LuaInterpreter> found = find_lua();
  return found;
}

std::string missing_lua() {
  const char* path = std::getenv("PATH");
  return fmt::format("no lua5.4 (Lua 5.4) on PATH ({}); Debian: apt-get install lua5.4",
                     path ? path : "unset");
}

ModelOptions model_for(LuaMode mode) {
  return ModelOptions{.policy = Policy::lua, .generational = mode == LuaMode::generational};
}

// Runs `trace` in lua5.4 and in the model: nullopt when every op gives the same events, else
// the first op that differs, with both event lists (and how many ops differ).
std::optional<std::string> difference_with_lua(const Trace& trace, LuaMode mode) {
  const OracleResult observed = run_in_lua(trace, *lua(), mode, kTraceLimit);
  if (!observed.ok()) return observed.error;
  if (observed.per_op.size() != trace.ops.size()) {
    return fmt::format("Lua reported {} ops of {}", observed.per_op.size(), trace.ops.size());
  }
  Model model(model_for(mode));
  const std::optional<OpDifference> d = difference_per_op(trace, model, observed.per_op);
  if (!d) return std::nullopt;
  return fmt::format(
      "op {} `{}`\n  model (lua, {}) expects: {}\n  lua5.4 ({}) did:      {}\n  ({} op(s) of "
      "this trace differ; this is the first)",
      d->first, print_op(trace.ops[d->first]),
      mode == LuaMode::generational ? "generational" : "no generations", describe(d->expected),
      name_of(mode), describe(d->observed), d->count);
}

std::string mode_name(const ::testing::TestParamInfo<LuaMode>& info) {
  return info.param == LuaMode::generational ? "Generational" : "Incremental";
}

class LuaGroundTruth : public ::testing::TestWithParam<LuaMode> {};

TEST_P(LuaGroundTruth, EveryCorpusTraceGivesTheModelsEventsOpForOp) {
  if (!lua()) GTEST_SKIP() << missing_lua();
  const LuaMode mode = GetParam();
  const std::vector<fs::path> files = corpus_files();
  ASSERT_FALSE(files.empty()) << "no .gct file under " << GCFUZZ_SOURCE_DIR << "/corpus";
  int agreed = 0, disagreed = 0;
  for (const fs::path& file : files) {
    const std::string name = fs::relative(file, GCFUZZ_SOURCE_DIR).string();
    const ParseResult parsed = load_trace(file);
    if (!parsed.parsed) {
      ADD_FAILURE() << parsed.error->to_string();
      ++disagreed;
      continue;
    }
    // Expectation lines are no-ops in the script: their events are empty on both sides.
    if (const std::optional<std::string> difference =
            difference_with_lua(parsed.parsed->trace, mode)) {
      ADD_FAILURE() << name << " (" << name_of(mode) << "): " << *difference;
      ++disagreed;
      continue;
    }
    ++agreed;
  }
  std::cout << fmt::format(
      "[ground truth] {} ({} mode): {} corpus traces, {} agree with the model (lua), {} "
      "disagree\n",
      lua()->version, name_of(mode), files.size(), agreed, disagreed);
}

// Random traces from the campaign generator (the same traces as the CPython ground truth),
// so the model is held to Lua on combinations nobody wrote down.
TEST_P(LuaGroundTruth, RandomTracesGiveTheModelsEventsOpForOp) {
  if (!lua()) GTEST_SKIP() << missing_lua();
  const LuaMode mode = GetParam();
  int agreed = 0, disagreed = 0;
  std::size_t ops = 0, young = 0;
  for (std::size_t i = 0; i < kRandomTraces; ++i) {
    const Trace trace = campaign_trace(kRandomSeed, i, 64, HeapShape::small).value();
    ops += trace.ops.size();
    young += std::count_if(trace.ops.begin(), trace.ops.end(), [](const Op& op) {
      const Collect* collect = std::get_if<Collect>(&op);
      return collect && collect->young.on;
    });
    if (const std::optional<std::string> difference = difference_with_lua(trace, mode)) {
      ADD_FAILURE() << "random trace " << i << " (seed " << kRandomSeed << ", " << name_of(mode)
                    << "): " << *difference << "\ntrace:\n"
                    << print_trace(trace);
      ++disagreed;
      continue;
    }
    ++agreed;
  }
  std::cout << fmt::format(
      "[ground truth] {} ({} mode): {} random traces ({} ops, {} of them `collect young`), {} "
      "agree with the model (lua), {} disagree\n",
      lua()->version, name_of(mode), kRandomTraces, ops, young, agreed, disagreed);
}

INSTANTIATE_TEST_SUITE_P(Modes, LuaGroundTruth,
                         ::testing::Values(LuaMode::incremental, LuaMode::generational), mode_name);

// ---- The oracle itself ----

Trace small_trace() {
  return parse_trace("alloc a 1 fin=log\nlink a 0 a\nweak w a cb\ndrop a\ncollect\ncollect\n",
                     "small")
      .parsed->trace;
}

TEST(LuaOracle, ScriptSkipsTheStatesCloseAndIgnoresCallbacks) {
  const std::string script = lua_script(small_trace());
  EXPECT_NE(script.find("run(2, 'weak w a cb', op_weak, 'w', 'a')"), std::string::npos) << script;
  EXPECT_NE(script.find("os.exit(0, false)"), std::string::npos);
  EXPECT_TRUE(script.ends_with("finish()\n"));
}

TEST(LuaOracle, ReportsAnInterpreterThatCannotStart) {
  const LuaInterpreter missing{.path = "/nonexistent/gcfuzz/lua5.4", .version = "none"};
  const OracleResult r =
      run_in_lua(small_trace(), missing, LuaMode::incremental, std::chrono::seconds(5));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("/nonexistent/gcfuzz/lua5.4"), std::string::npos) << r.error;
  EXPECT_FALSE(probe_lua("/nonexistent/gcfuzz/lua5.4"));
}

TEST(LuaOracle, FindsNoInterpreterOnAPathWithoutOne) {
  const char* saved = std::getenv("PATH");
  const std::string original = saved ? saved : "";
  ::setenv("PATH", "/nonexistent/gcfuzz", 1);
  const std::optional<LuaInterpreter> found = find_lua();
  if (saved) {
    ::setenv("PATH", original.c_str(), 1);
  } else {
    ::unsetenv("PATH");
  }
  EXPECT_FALSE(found);
}

TEST(LuaOracle, FindsLua54WhenInstalled) {
  if (!lua()) GTEST_SKIP() << missing_lua();
  EXPECT_TRUE(lua()->path.is_absolute()) << lua()->path;
  EXPECT_TRUE(lua()->version.starts_with("Lua 5.4")) << lua()->version;
}

TEST(LuaOracle, ReportsAScriptErrorWithItsMessage) {
  if (!lua()) GTEST_SKIP() << missing_lua();
  const Trace trace = small_trace();
  const OracleResult r =
      run_events_script({lua()->path.string(), "-E", "-"}, "error('gcfuzz planted error')\n", trace,
                        "lua5.4", std::chrono::seconds(10));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("exited with status 1"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("gcfuzz planted error"), std::string::npos) << r.error;
}

TEST(LuaOracle, ReportsAnErrorInsideAFinalizer) {
  // Lua does not propagate an error raised by __gc: it writes a warning to stderr (the
  // script turns warnings on), and the oracle fails the run on anything on stderr.
  if (!lua()) GTEST_SKIP() << missing_lua();
  const Trace trace = small_trace();
  std::string script = lua_script(trace);
  const std::size_t first_op = script.find("\nrun(0,");
  ASSERT_NE(first_op, std::string::npos);
  script.insert(first_op + 1,
                "setmetatable = function(o) return debug.setmetatable(o, {__gc = function() "
                "error('gcfuzz planted finalizer error') end}) end\n");
  const OracleResult r = run_events_script({lua()->path.string(), "-E", "-", "incremental"}, script,
                                           trace, "lua5.4", std::chrono::seconds(10));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("wrote to stderr"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("gcfuzz planted finalizer error"), std::string::npos) << r.error;
}

TEST(LuaOracle, ReportsOutputThatIsNotEvents) {
  if (!lua()) GTEST_SKIP() << missing_lua();
  const OracleResult r =
      run_events_script({lua()->path.string(), "-E", "-"}, "print('{\"op\": 0}')\nprint('oops')\n",
                        small_trace(), "lua5.4", std::chrono::seconds(10));
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("line 1"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace gcfuzz
