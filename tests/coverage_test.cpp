// Spec coverage (model/rules.h, docs/coverage.md): for every rule, a small trace whose last
// op applies exactly the rules listed (the set, not a subset), and no rule at all of the
// table fired where it should not; then the counting, merging and reporting of SpecCoverage,
// and the corpus's coverage.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/engine/coverage.h"
#include "harness/trace/text.h"
#include "model/model.h"
#include "model/rules.h"

namespace gcfuzz {

namespace {

namespace fs = std::filesystem;

struct RuleCase {
  std::string_view name;  // for the failure message
  ModelOptions options;
  std::string_view trace;
  std::vector<Rule> last_op;  // exactly the rules the last op applies
};

constexpr ModelOptions kPep442{Policy::pep442, true, true};
constexpr ModelOptions kWhole{Policy::pep442_whole, true, true};
constexpr ModelOptions kLegacy{Policy::legacy, true, true};
constexpr ModelOptions kJava{Policy::java, true, true};
constexpr ModelOptions kBoehm{Policy::boehm, true, true};
constexpr ModelOptions kLua{Policy::lua, true, true};
constexpr ModelOptions kNoCycles{Policy::pep442, false, true};

using R = Rule;

const std::vector<RuleCase>& cases() {
  static const std::vector<RuleCase> all = {
      {"unbound source", kPep442, "link a 0 b", {R::noop_unbound_source}},
      {"slot out of range", kPep442, "alloc a 1\nunlink a 3", {R::noop_slot_out_of_range}},
      {"load of an empty slot",
       kPep442,
       "alloc a 1\nload b a 0",
       {R::null_from_empty_slot_or_cleared_weak}},
      {"deref of a cleared weak variable",
       kJava,
       "alloc a 0\nweak w a\ndrop a\ncollect\nderef b w",
       {R::null_from_empty_slot_or_cleared_weak}},
      {"weak rebound", kPep442, "alloc a 0\nweak w a\nweak w a", {R::weak_rebound}},
      {"drop of a weak and a strong name",
       kPep442,
       "alloc a 0\nalloc x 0\nweak a x\ndrop a",
       {R::drop_weak_and_strong, R::refcount_death}},
      {"alloc finalizer into a slot",
       kPep442,
       "alloc a 1 fin=alloc\ndrop a",
       {R::refcount_finalizer, R::finalizer_allocation_numbered, R::refcount_death,
        R::refcount_cascade}},
      {"alloc finalizer without slots",
       kPep442,
       "alloc a 0 fin=alloc\ndrop a",
       {R::refcount_finalizer, R::alloc_finalizer_without_slots, R::finalizer_allocation_numbered,
        R::refcount_death}},
      {"clear revived: finalized once",
       kPep442,
       "alloc a 0 fin=resurrect\ndrop a\nclear revived",
       {R::revived_cleared, R::finalized_once, R::refcount_death}},
      {"refcount death", kPep442, "alloc a 0\ndrop a", {R::refcount_death}},
      {"cascade",
       kPep442,
       "alloc a 1\nalloc b 0\nlink a 0 b\ndrop b\ndrop a",
       {R::refcount_death, R::refcount_cascade}},
      {"refcount finalizer",
       kPep442,
       "alloc a 0 fin=log\ndrop a",
       {R::refcount_finalizer, R::refcount_death}},
      {"refcount resurrection",
       kPep442,
       "alloc a 0 fin=resurrect\ndrop a",
       {R::refcount_finalizer, R::refcount_resurrection, R::resurrected_young_again}},
      {"refcount weak cleared",
       kPep442,
       "alloc a 0\nweak w a\ndrop a",
       {R::refcount_weak_cleared, R::refcount_death}},
      {"weak callback",
       kPep442,
       "alloc a 0\nweak w a cb\ndrop a",
       {R::refcount_weak_cleared, R::weak_callback, R::refcount_death}},
      {"legacy: a finalizer runs again",
       kLegacy,
       "alloc a 0 fin=resurrect\ndrop a\nclear revived",
       {R::revived_cleared, R::legacy_finalizer_runs_again, R::refcount_finalizer,
        R::refcount_resurrection, R::resurrected_young_again}},
      {"collection frees a cycle",
       kPep442,
       "alloc a 1\nlink a 0 a\ndrop a\ncollect",
       {R::collection_frees_trash}},
      {"legacy closure to garbage",
       kPep442,
       "alloc a 1 fin=legacy\nlink a 0 a\ndrop a\ncollect",
       {R::legacy_set_aside, R::garbage_appended}},
      {"clear garbage",
       kPep442,
       "alloc a 1 fin=legacy\nlink a 0 a\ndrop a\ncollect\nclear garbage",
       {R::garbage_cleared}},
      {"weak reference cleared before a finalizer",
       kPep442,
       "alloc a 1 fin=log\nlink a 0 a\nweak w a\ndrop a\ncollect",
       {R::weak_cleared_before_finalizer, R::collection_finalizer, R::collection_frees_trash}},
      {"collection finalizer",
       kPep442,
       "alloc a 1 fin=log\nlink a 0 a\ndrop a\ncollect",
       {R::collection_finalizer, R::collection_frees_trash}},
      {"resurrection in a collection",
       kPep442,
       "alloc a 1 fin=resurrect\nlink a 0 a\ndrop a\ncollect",
       {R::collection_finalizer, R::collection_resurrection}},
      {"pep442-whole: one resurrection keeps all",
       kWhole,
       "alloc a 1 fin=resurrect\nlink a 0 a\nalloc b 1\nlink b 0 b\ndrop a\ndrop b\ncollect",
       {R::collection_finalizer, R::collection_resurrection, R::whole_resurrection_frees_nothing}},
      {"trash dies by refcount in its collection",
       kPep442,
       "alloc a 1 fin=alloc\nalloc b 1\nlink a 0 b\nlink b 0 a\ndrop a\ndrop b\ncollect",
       {R::collection_finalizer, R::finalizer_allocation_numbered, R::refcount_death,
        R::refcount_cascade, R::finalized_once, R::died_by_refcount_in_collection}},
      {"legacy member dies by refcount",
       kPep442,
       "alloc u 2\nalloc l 0 fin=legacy\nlink u 0 u\nlink u 1 l\ndrop u\ndrop l\ncollect",
       {R::legacy_set_aside, R::collection_frees_trash, R::refcount_death,
        R::legacy_member_died_by_refcount}},
      {"legacy policy: a collection frees what no finalizer reaches",
       kLegacy,
       "alloc a 1\nlink a 0 a\ndrop a\ncollect",
       {R::collection_frees_trash}},
      {"tracing frees trash", kJava, "alloc a 0\ndrop a\ncollect", {R::tracing_trash_freed}},
      {"tracing clears weak references",
       kJava,
       "alloc a 0\nweak w a\ndrop a\ncollect",
       {R::tracing_weak_cleared, R::tracing_trash_freed}},
      {"tracing keeps finalizable trash",
       kJava,
       "alloc a 0 fin=log\ndrop a\ncollect",
       {R::tracing_kept_for_finalizer, R::tracing_finalizer}},
      {"tracing keeps what finalizable trash reaches",
       kJava,
       "alloc a 1 fin=log\nalloc b 0\nlink a 0 b\ndrop b\ndrop a\ncollect",
       {R::tracing_kept_for_finalizer, R::tracing_kept_reachable_from_finalizable,
        R::tracing_finalizer}},
      {"tracing resurrection",
       kJava,
       "alloc a 0 fin=resurrect\ndrop a\ncollect",
       {R::tracing_kept_for_finalizer, R::tracing_finalizer, R::tracing_resurrection}},
      {"tracing: weak references cleared before finalization",
       kJava,
       "alloc a 0 fin=log\nweak w a\ndrop a\ncollect",
       {R::tracing_weak_cleared, R::weak_cleared_before_finalizer, R::tracing_kept_for_finalizer,
        R::tracing_finalizer}},
      {"tracing: finalized trash freed once",
       kJava,
       "alloc a 0 fin=log\ndrop a\ncollect\ncollect",
       {R::finalized_once, R::tracing_trash_freed}},
      {"boehm: one link of a chain",
       kBoehm,
       "alloc a 1 fin=log\nalloc b 0 fin=log\nlink a 0 b\ndrop b\ndrop a\ncollect",
       {R::tracing_kept_for_finalizer, R::tracing_finalizer, R::boehm_chain_link_deferred}},
      {"boehm: a finalization cycle",
       kBoehm,
       "alloc a 1 fin=log\nlink a 0 a\ndrop a\ncollect",
       {R::tracing_kept_for_finalizer, R::boehm_finalization_cycle}},
      {"young collection", kPep442, "alloc a 0\ncollect young", {R::young_collection}},
      {"old-to-young root",
       kPep442,
       "alloc a 1\ncollect\nalloc b 0\nlink a 0 b\ndrop b\ncollect young",
       {R::young_collection, R::young_old_to_young_root}},
      {"old-to-young root, tracing",
       kJava,
       "alloc a 1\ncollect\nalloc b 0\nlink a 0 b\ndrop b\ncollect young",
       {R::young_collection, R::young_old_to_young_root}},
      {"no cycle collection", kNoCycles, "collect", {R::collect_without_cycles}},
      {"lua: a young survivor stays young",
       kLua,
       "alloc a 0\ncollect young",
       {R::young_collection, R::lua_survivor_stays_young}},
      {"lua: no weak callback",
       kLua,
       "alloc a 0\nweak w a cb\ndrop a\ncollect",
       {R::tracing_trash_freed, R::tracing_weak_cleared, R::lua_callback_ignored}},
  };
  return all;
}

std::string names(const RuleSet& set) {
  std::string text;
  set.for_each([&](Rule r) { text += std::string(text.empty() ? "" : ", ") += info_of(r).name; });
  return text.empty() ? "(none)" : text;
}

Trace parse(std::string_view text) {
  const ParseResult r = parse_trace(text, "inline");
  EXPECT_TRUE(r.parsed) << (r.error ? r.error->to_string() : std::string());
  return r.parsed ? r.parsed->trace : Trace{};
}

TEST(SpecRules, EachCaseAppliesExactlyItsRulesAtItsLastOp) {
  for (const RuleCase& c : cases()) {
    Model model(c.options);
    const Trace trace = parse(c.trace);
    for (const Op& op : trace.ops) model.apply(op);
    RuleSet expected;
    for (Rule r : c.last_op) {
      expected.add(r);
      EXPECT_TRUE(applies(r, c.options))
          << c.name << ": " << info_of(r).name << " cannot fire under " << describe(c.options);
    }
    EXPECT_EQ(names(model.rules_fired()), names(expected)) << c.name;
  }
}

TEST(SpecRules, EveryRuleHasACaseAndAUniqueName) {
  RuleSet covered;
  for (const RuleCase& c : cases()) {
    for (Rule r : c.last_op) covered.add(r);
  }
  std::vector<std::string_view> seen;
  for (int i = 0; i < kRuleCount; ++i) {
    const Rule r = static_cast<Rule>(i);
    EXPECT_TRUE(covered.contains(r)) << info_of(r).name << " has no case";
    EXPECT_FALSE(info_of(r).name.empty());
    EXPECT_EQ(std::count(seen.begin(), seen.end(), info_of(r).name), 0) << info_of(r).name;
    seen.push_back(info_of(r).name);
  }
}

// docs/coverage.md lists every rule, with its section, as model/rules.cpp has them.
TEST(SpecRules, TheDocumentationListsEveryRule) {
  std::ifstream in(fs::path(GCFUZZ_SOURCE_DIR) / "docs/coverage.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty());
  for (int i = 0; i < kRuleCount; ++i) {
    const RuleInfo& info = info_of(static_cast<Rule>(i));
    const std::string row =
        fmt::format("| `{}` | {} | {} |", info.name, info.section, info.summary);
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/coverage.md lacks: " << row;
  }
}

TEST(SpecRules, AnExpectationOrAPlainAllocAppliesNoRule) {
  Model model(kPep442);
  model.apply(parse("alloc a 1 bytes=100").ops[0]);
  EXPECT_TRUE(model.rules_fired().empty());
  model.apply(parse("drop a").ops[0]);
  EXPECT_FALSE(model.rules_fired().empty());
  model.apply(parse("expect freed @0").ops[0]);
  EXPECT_TRUE(model.rules_fired().empty());
}

TEST(SpecCoverage, CountsOpsPerRuleAndConfigurationAndMerges) {
  SpecCoverage a;
  const Trace trace = parse("alloc a 0\ndrop a\nalloc b 0\ndrop b\nexpect freed @1");
  a.add_trace(trace, kPep442);
  a.add_trace(trace, kJava);
  ASSERT_EQ(a.rows().size(), 2u);
  const SpecCoverage::Row& pep = a.rows()[0];
  EXPECT_EQ(pep.traces, 1u);
  EXPECT_EQ(pep.ops, 4u);  // the expectation is not an op of the model
  EXPECT_EQ(pep.hits[static_cast<int>(Rule::refcount_death)], 2u);
  EXPECT_EQ(a.rows()[1].hits[static_cast<int>(Rule::refcount_death)], 0u);

  SpecCoverage b = SpecCoverage::from_json(a.to_json());
  b.merge(a);
  ASSERT_EQ(b.rows().size(), 2u);
  EXPECT_EQ(b.rows()[0].traces, 2u);
  EXPECT_EQ(b.rows()[0].hits[static_cast<int>(Rule::refcount_death)], 4u);

  const std::string text = a.format_text();
  EXPECT_NE(text.find("spec coverage, pep442: 1 of"), std::string::npos) << text;
  EXPECT_NE(text.find("refcount-death"), std::string::npos) << text;
  EXPECT_NE(text.find("never fired: "), std::string::npos) << text;
  // Rules of another policy are not listed as never fired.
  const std::string pep_part = text.substr(0, text.find("spec coverage, java"));
  EXPECT_EQ(pep_part.find("boehm-chain-link-deferred"), std::string::npos) << text;
}

// The hand-written corpus is the regression suite: it reaches every rule of every policy
// (docs/coverage.md has the figures).
TEST(SpecCoverage, TheCorpusReachesEveryRuleOfEveryPolicy) {
  SpecCoverage covered;
  for (const auto& entry :
       fs::recursive_directory_iterator(fs::path(GCFUZZ_SOURCE_DIR) / "corpus")) {
    if (entry.path().extension() != ".gct") continue;
    const ParseResult r = load_trace(entry.path());
    ASSERT_TRUE(r.parsed) << entry.path();
    for (const ModelOptions& o : {kPep442, kWhole, kLegacy, kJava, kBoehm, kNoCycles}) {
      covered.add_trace(r.parsed->trace, o);
    }
  }
  for (const SpecCoverage::Row& row : covered.rows()) {
    for (int i = 0; i < kRuleCount; ++i) {
      const Rule rule = static_cast<Rule>(i);
      if (applies(rule, row.options)) {
        EXPECT_GT(row.hits[i], 0u)
            << info_of(rule).name << " never fires in corpus/ under " << describe(row.options);
      }
    }
  }
}

}  // namespace

}  // namespace gcfuzz
