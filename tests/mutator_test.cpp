// The trace mutator of the libFuzzer target: every result is a valid trace within its
// limits, the same seed gives the same result, and an inserted expectation holds.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "harness/trace/generators.h"
#include "harness/trace/mutator.h"
#include "harness/trace/text.h"
#include "model/model.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

void expect_round_trip(const Trace& t) {
  const ParseResult r = parse_trace(print_trace(t), "mutated.gct");
  RC_ASSERT(!r.error);
  RC_ASSERT(r.parsed->trace == t);
}

RC_GTEST_PROP(Mutator, MutatedTracesPrintAndParseBack, ()) {
  Trace t = *trace_generator();
  t.header = {"kept"};
  MutationRng rng(*rc::gen::arbitrary<std::uint64_t>());
  MutatorOptions options;
  options.max_ops = 40;
  const std::vector<std::string_view> applied = mutate_trace(t, rng, options);
  RC_ASSERT(!applied.empty());
  RC_ASSERT(applied.size() <= 4u);
  RC_ASSERT(t.ops.size() <= options.max_ops);
  RC_ASSERT(t.header == std::vector<std::string>{"kept"});
  expect_round_trip(t);
}

RC_GTEST_PROP(Mutator, TheSameSeedGivesTheSameMutation, ()) {
  const Trace original = *trace_generator();
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  Trace a = original, b = original;
  MutationRng rng_a(seed), rng_b(seed);
  RC_ASSERT(mutate_trace(a, rng_a, {}) == mutate_trace(b, rng_b, {}));
  RC_ASSERT(a == b);
}

RC_GTEST_PROP(Mutator, SplicesAPrefixAndASuffix, ()) {
  const Trace first = *trace_generator();
  const Trace second = *trace_generator();
  MutationRng rng(*rc::gen::arbitrary<std::uint64_t>());
  // A limit the splice cannot reach (allocation bursts make long traces).
  const Trace t =
      splice_traces(first, second, rng, {.max_ops = first.ops.size() + second.ops.size()});
  // Some prefix of `first` followed by some suffix of `second`.
  bool found = false;
  for (std::size_t p = 0; p <= std::min(first.ops.size(), t.ops.size()) && !found; ++p) {
    const std::size_t rest = t.ops.size() - p;
    found = rest <= second.ops.size() &&
            std::equal(first.ops.begin(), first.ops.begin() + p, t.ops.begin()) &&
            std::equal(second.ops.end() - rest, second.ops.end(), t.ops.begin() + p);
  }
  RC_ASSERT(found);
  expect_round_trip(t);
}

RC_GTEST_PROP(Mutator, PrintWithinFitsTheLimit, ()) {
  Trace t = *trace_generator();
  const std::size_t max_bytes = *rc::gen::inRange<std::size_t>(0, 400);
  MutationRng rng(*rc::gen::arbitrary<std::uint64_t>());
  const std::string text = print_within(t, max_bytes, rng);
  RC_ASSERT(text.size() <= max_bytes);
  RC_ASSERT(text == print_trace(t));
  expect_round_trip(t);
}

RC_GTEST_PROP(Mutator, RandomTracesHaveTheOpsAskedFor, ()) {
  const std::size_t ops = *rc::gen::inRange<std::size_t>(0, 64);
  MutationRng rng(*rc::gen::arbitrary<std::uint64_t>());
  const Trace t = random_trace(rng, ops, {});
  RC_ASSERT(t.ops.size() == ops);
  RC_ASSERT(std::none_of(t.ops.begin(), t.ops.end(), is_expectation));
  expect_round_trip(t);
}

// An expectation the mutator inserts into a trace without any is a fact of its policy's
// model there (the fuzz target rejects inputs whose expectations a model fails).
RC_GTEST_PROP(Mutator, InsertedExpectationsHoldInTheirPolicysModel, ()) {
  Trace t = *trace_generator();
  const Policy policy = *rc::gen::element(Policy::pep442, Policy::pep442_whole, Policy::legacy,
                                          Policy::java, Policy::boehm);
  MutatorOptions options;
  options.policies = {policy};
  MutationRng rng(*rc::gen::arbitrary<std::uint64_t>());
  for (int i = 0; i < 400 && std::none_of(t.ops.begin(), t.ops.end(), is_expectation); ++i) {
    Trace candidate = t;
    const auto applied = mutate_trace(candidate, rng, options);
    if (applied.size() == 1 && applied.front() == "insert_expectation") t = candidate;
  }
  RC_PRE(std::any_of(t.ops.begin(), t.ops.end(), is_expectation));
  Model model(ModelOptions{.policy = policy});
  for (const Op& op : t.ops) {
    if (is_expectation(op)) {
      RC_ASSERT(!model.check(op));
    } else {
      model.apply(op);
    }
  }
}

// Mutating the corpus's traces, whose expectations a deleted or inserted op breaks, and
// splicing them, leaves only expectations every policy's model meets: an input the fuzz
// target would reject never reaches libFuzzer's corpus.
TEST(Mutator, ResultsKeepOnlyExpectationsThatHold) {
  std::vector<Trace> seeds;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(GCFUZZ_SOURCE_DIR) + "/corpus")) {
    if (entry.path().extension() != ".gct") continue;
    const ParseResult r = load_trace(entry.path());
    ASSERT_TRUE(r.parsed) << entry.path();
    seeds.push_back(r.parsed->trace);
  }
  ASSERT_GT(seeds.size(), 10u);
  const MutatorOptions options;
  MutationRng rng(7);
  std::size_t with_expectations = 0;
  for (int i = 0; i < 2000; ++i) {
    Trace t = seeds[i % seeds.size()];
    if (i % 4 == 3) {
      t = splice_traces(t, seeds[(i * 7) % seeds.size()], rng, options);
    } else {
      mutate_trace(t, rng, options);
    }
    with_expectations += std::any_of(t.ops.begin(), t.ops.end(), is_expectation);
    for (Policy policy : options.policies) {
      Model model(ModelOptions{.policy = policy});
      for (const Op& op : t.ops) {
        if (!is_expectation(op)) {
          model.apply(op);
        } else if (when_of(op).applies_to(policy)) {
          const auto failed = model.check(op);
          ASSERT_FALSE(failed) << *failed << " under " << name_of(policy) << ":\n"
                               << print_trace(t);
        }
      }
    }
  }
  EXPECT_GT(with_expectations, 500u);  // most results keep some expectations
}

// resize_object changes one alloc's payload and nothing else; its nudges stay near the old
// size or a nearby power of two often enough to walk across a size class's edge.
TEST(Mutator, ResizeObjectChangesOnlyAPayload) {
  const Trace original = parse_trace("alloc a 2 fin=log bytes=65500\ncollect\n", "t").parsed->trace;
  std::size_t resized = 0, near = 0;
  for (std::uint64_t seed = 0; seed < 3000; ++seed) {
    Trace t = original;
    MutationRng rng(seed);
    if (mutate_trace(t, rng, {}) != std::vector<std::string_view>{"resize_object"}) continue;
    ++resized;
    ASSERT_EQ(t.ops.size(), 2u);
    EXPECT_EQ(t.ops[1], original.ops[1]);
    Alloc before = std::get<Alloc>(original.ops[0]);
    const Alloc after = std::get<Alloc>(t.ops[0]);
    const std::uint32_t bytes = after.payload.bytes;
    near += (bytes >= 65500 - 16 && bytes <= 65500 + 16) ||
            (bytes >= 32768 - 64 && bytes <= 32768 + 64) ||
            (bytes >= 65536 - 64 && bytes <= 65536 + 64) ||
            (bytes >= 131072 - 64 && bytes <= 131072 + 64);
    before.payload = after.payload;
    EXPECT_EQ(Op{before}, Op{after}) << "only the payload changes";
  }
  ASSERT_GT(resized, 20u);
  EXPECT_GT(near * 2, resized) << "most resizes stay within a few bytes of a boundary";
}

TEST(Mutator, NamesItsMutations) {
  MutatorOptions options;
  const std::vector<std::string_view> plain = mutation_names(options);
  EXPECT_EQ(std::find(plain.begin(), plain.end(), "mutate_op_bytes"), plain.end())
      << "only with a byte-level mutator";
  options.mutate_bytes = [](std::uint8_t*, std::size_t size, std::size_t) { return size; };
  options.policies.clear();
  const std::vector<std::string_view> names = mutation_names(options);
  EXPECT_NE(std::find(names.begin(), names.end(), "mutate_op_bytes"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "insert_expectation"), names.end());
}

}  // namespace
}  // namespace gcfuzz
