// The embedded Lua 5.4 collectors (`lua-5.4:lua`, `lua-5.4-gen:lua`): the rules of SPEC 3.6
// as the real Lua plays them, with exact events; the clean state between traces; and the
// wrong adapters that the harness must catch. The random-trace agreement and the corpus
// replay run them with every collector (agreement_test.cpp, ctest replay_corpus).
#include <gtest/gtest.h>

#ifdef GCFUZZ_HAVE_LUA

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "collectors/registry.h"
#include "gcfuzz/collector.hpp"
#include "harness/engine/runner.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/trace/text.h"
#include "tests/model_steps.h"

namespace gcfuzz {
namespace {

constexpr std::string_view kIncremental = "lua-5.4:lua";
constexpr std::string_view kGenerational = "lua-5.4-gen:lua";

// One collector instance on a real Lua state, fed .gct lines.
class Embedded {
 public:
  explicit Embedded(std::string_view name) : name_(name) {
    const CollectorInfo* info = find_collector(name);
    if (info == nullptr) throw std::logic_error("no collector " + std::string(name));
    collector_ = info->make(observer_);
  }

  // Applies the steps in order, checking each op's events exactly.
  void run(std::initializer_list<Step> steps) {
    for (const Step& step : steps) {
      perform(*collector_, parse_op(step.op));
      EXPECT_EQ(observer_.take(), step.events) << "`" << step.op << "` on " << name_;
    }
  }
  const HeapView& view() const { return collector_->view(); }

 private:
  std::string name_;
  RecordingObserver observer_;
  std::unique_ptr<Collector> collector_;
};

class BothModes : public ::testing::TestWithParam<std::string_view> {};

INSTANTIATE_TEST_SUITE_P(Lua, BothModes, ::testing::Values(kIncremental, kGenerational),
                         [](const auto& info) {
                           return info.param == kIncremental ? std::string("incremental")
                                                             : std::string("generational");
                         });

TEST(EmbeddedLua, IsRegisteredAsTheRealLua) {
  for (std::string_view name : {kIncremental, kGenerational}) {
    const CollectorInfo* info = find_collector(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->capabilities.policy, Policy::lua);
    EXPECT_EQ(info->capabilities.precision, Precision::exact);
    EXPECT_TRUE(info->capabilities.collects_cycles);
    EXPECT_EQ(info->capabilities.generational, name == kGenerational);
    EXPECT_NE(info->origin.find("Lua 5.4"), std::string_view::npos);
  }
}

// Probe 04 dependents_kept_one_collection, on the embedded Lua.
TEST_P(BothModes, FinalizableTrashAndWhatItReachesSurviveOneCollection) {
  Embedded c(GetParam());
  c.run({
      {"alloc a 1 fin=log", nothing},
      {"alloc b 1", nothing},
      {"alloc c 0", nothing},
      {"alloc d 0 bytes=70000", nothing},
      {"link a 0 b", nothing},
      {"link b 0 c", nothing},
      {"weak wb b cb", nothing},
      {"weak wd d", nothing},
      {"drop b", nothing},
      {"drop c", nothing},
      {"drop d", nothing},
      {"drop a", nothing},
      {"collect", events().finalized({0}).cleared({"wb", "wd"}).freed({3}).collected(1)},
      {"collect", events().freed({0, 1, 2}).collected(3)},
      {"collect", events().collected(0)},
  });
}

TEST_P(BothModes, AResurrectedObjectIsFreedOnceReleased) {
  Embedded c(GetParam());
  c.run({
      {"alloc r 1 fin=resurrect", nothing},
      {"alloc k 0", nothing},
      {"link r 0 k", nothing},
      {"drop k", nothing},
      {"drop r", nothing},
      {"collect", events().finalized({0}).collected(0)},
      {"collect", events().collected(0)},
      {"clear revived", nothing},
      {"collect", events().freed({0, 1}).collected(2)},
  });
}

// Lua runs finalizers in descending id; the adapter numbers their allocations by creator.
TEST_P(BothModes, FinalizerAllocationsAreNumberedByCreator) {
  Embedded c(GetParam());
  c.run({
      {"alloc a 1 fin=alloc", nothing},
      {"alloc b 1 fin=alloc", nothing},
      {"drop a", nothing},
      {"drop b", nothing},
      {"collect", events().finalized({0, 1}).collected(0)},
  });
  // a's (@0) allocation is @2 and b's is @3, whatever order Lua ran the finalizers in.
  std::map<std::uint32_t, std::uint32_t> slot0;
  c.view().for_each_object([&](HeapView::Ref o) {
    if (c.view().slot_count(o) > 0 && c.view().slot(o, 0) != nullptr) {
      slot0[c.view().id(o).value] = c.view().id(c.view().slot(o, 0)).value;
    }
  });
  EXPECT_EQ(slot0, (std::map<std::uint32_t, std::uint32_t>{{0, 2}, {1, 3}}));
}

// Probe 06: a minor collection in generational mode; an object is old after two.
TEST(EmbeddedLua, AYoungCollectionIsOneMinorCollection) {
  Embedded c(kGenerational);
  c.run({
      {"alloc a 0", nothing},
      {"alloc b 0", nothing},
      {"weak wa a", nothing},
      {"collect young", events().collected(0)},
      {"drop a", nothing},
      {"collect young", events().cleared({"wa"}).freed({0}).collected(1)},
      {"drop b", nothing},
      {"collect young", events().collected(0)},  // b survived two: old
      {"collect", events().freed({1}).collected(1)},
  });
}

TEST(EmbeddedLua, IncrementalModeCollectsFullyForYoung) {
  Embedded c(kIncremental);
  c.run({
      {"alloc a 0", nothing},
      {"collect young", events().collected(0)},
      {"collect young", events().collected(0)},
      {"drop a", nothing},
      {"collect young", events().freed({0}).collected(1)},
  });
}

// Nothing of one trace reaches the next: each trace has its own state, closed silently.
TEST(EmbeddedLua, EachTraceStartsFromAFreshState) {
  {
    Embedded first(kIncremental);
    first.run({
        {"alloc a 1 fin=log", nothing},
        {"link a 0 a", nothing},
        {"alloc b 0 fin=resurrect", nothing},
    });
  }
  Embedded second(kIncremental);
  second.run({
      {"alloc a 0", nothing},
      {"collect", events().collected(0)},
  });
  std::size_t objects = 0;
  second.view().for_each_object([&](HeapView::Ref) { ++objects; });
  EXPECT_EQ(objects, 1u);
}

// The wrong adapters are caught, each by the check its bug breaks; the right one passes.
struct Caught {
  std::string_view mutant;
  const char* trace;
};

class WrongAdapter : public ::testing::TestWithParam<Caught> {};

INSTANTIATE_TEST_SUITE_P(
    Lua, WrongAdapter,
    ::testing::Values(
        Caught{"lua-5.4:lua~gc-after-setmetatable", "alloc a 0 fin=log\ndrop a\ncollect\n"},
        Caught{"lua-5.4:lua~one-user-value-short",
               "alloc a 1\nalloc b 0\nlink a 0 b\ndrop b\ncollect\n"},
        Caught{"lua-5.4-gen:lua~young-is-full",
               "alloc a 0\ncollect young\ncollect young\ndrop a\ncollect young\n"},
        Caught{"lua-5.4-gen:lua~weak-keys", "alloc a 0\nweak w a\ndrop a\ncollect\n"}),
    [](const auto& info) {
      std::string name(info.param.mutant.substr(info.param.mutant.find('~') + 1));
      for (char& ch : name) {
        if (ch == '-') ch = '_';
      }
      return name;
    });

TEST_P(WrongAdapter, IsCaughtWhereTheRightOneAgrees) {
  const ParseResult parsed = parse_trace(GetParam().trace, "inline");
  ASSERT_TRUE(parsed.parsed);
  const CollectorInfo* wrong = find_collector(GetParam().mutant);
  ASSERT_NE(wrong, nullptr);
  const CollectorInfo* right = find_collector(wrong->mutant_of);
  ASSERT_NE(right, nullptr);
  const LaneResult r = run_lane(parsed.parsed->trace, *right, Isolation{.fork = false});
  EXPECT_FALSE(r.divergence) << r.divergence->detail;
  const LaneResult w = run_lane(parsed.parsed->trace, *wrong, Isolation{.fork = true});
  EXPECT_TRUE(w.divergence) << GetParam().mutant << " was not caught";
}

}  // namespace
}  // namespace gcfuzz

#endif  // GCFUZZ_HAVE_LUA
