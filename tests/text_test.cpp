// The .gct parser and printer: canonical form, round trips, and every error with its column.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "harness/trace/generators.h"
#include "harness/trace/text.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

Trace parse_ok(std::string_view text) {
  ParseResult r = parse_trace(text, "t.gct");
  EXPECT_FALSE(r.error) << r.error->to_string();
  return r.parsed ? r.parsed->trace : Trace{};
}

std::string error_of(std::string_view text) {
  ParseResult r = parse_trace(text, "t.gct");
  EXPECT_TRUE(r.error) << "parsed: " << text;
  return r.error ? r.error->to_string() : "";
}

TEST(Text, PrintsTheCanonicalForm) {
  const Trace t = parse_ok(
      "# header line\n"
      "#\n"
      "alloc  a 2   fin=none   # a comment\n"
      "alloc b 0 fin=resurrect\n"
      "\n"
      "link a 1 b\nunlink a 0\nload c a 1\ncopy d c\ndrop d\n"
      "weak w a cb\nweak v a\nderef e w\ncollect young\ncollect\nclear garbage\n"
      "expect collected 3 when pep442 legacy\nexpect freed @0 @12\nexpect alive @1\n"
      "expect finalized @2\nexpect garbage @3 when legacy\nexpect refcount a 2\n");
  EXPECT_EQ(print_trace(t),
            "# header line\n"
            "#\n"
            "alloc a 2\n"
            "alloc b 0 fin=resurrect\n"
            "link a 1 b\nunlink a 0\nload c a 1\ncopy d c\ndrop d\n"
            "weak w a cb\nweak v a\nderef e w\ncollect young\ncollect\nclear garbage\n"
            "expect collected 3 when pep442 legacy\nexpect freed @0 @12\nexpect alive @1\n"
            "expect finalized @2\nexpect garbage @3 when legacy\nexpect refcount a 2\n");
}

TEST(Text, KeepsSourceLinesOfOps) {
  ParseResult r = parse_trace("# h\n\nalloc a 1\n# c\n\ncollect\n", "t.gct");
  ASSERT_TRUE(r.parsed);
  EXPECT_EQ(r.parsed->line_of_op, (std::vector<int>{3, 6}));
  EXPECT_EQ(r.parsed->trace.header, (std::vector<std::string>{"h"}));  // only the opening block
}

TEST(Text, ReportsErrorsWithLineAndColumn) {
  EXPECT_EQ(error_of("alloc a 1\nfrobnicate a\n"),
            "t.gct:2:1: unknown operation 'frobnicate' (expected alloc, link, unlink, load, copy, "
            "drop, weak, deref, collect, clear, expect)");
  EXPECT_EQ(error_of("alloc a 17\n"), "t.gct:1:9: expected a slot count (0..16), got '17'");
  EXPECT_EQ(error_of("alloc a -1\n"), "t.gct:1:9: expected a slot count (0..16), got '-1'");
  EXPECT_EQ(error_of("alloc 1a 2\n"),
            "t.gct:1:7: expected a variable name ([a-z_][a-z0-9_]*), got '1a'");
  EXPECT_EQ(error_of("alloc Abc 2\n"),
            "t.gct:1:7: expected a variable name ([a-z_][a-z0-9_]*), got 'Abc'");
  EXPECT_EQ(error_of("alloc revived 2\n"),
            "t.gct:1:7: 'revived' is reserved (the revived list), not a variable");
  EXPECT_EQ(error_of("alloc a 2 fin=weird\n"),
            "t.gct:1:15: unknown finalizer 'weird' (expected none, log, resurrect, alloc, legacy)");
  EXPECT_EQ(error_of("alloc a 2 extra\n"),
            "t.gct:1:11: unexpected 'extra' (expected 'fin=KIND' or 'bytes=N' or end of line)");
  EXPECT_EQ(error_of("link a 16 b\n"), "t.gct:1:8: expected a slot index (0..15), got '16'");
  EXPECT_EQ(error_of("link a 0\n"), "t.gct:1:9: expected a variable name, found end of line");
  EXPECT_EQ(error_of("weak w a cbb\n"),
            "t.gct:1:10: unexpected 'cbb' (expected 'cb' or end of line)");
  EXPECT_EQ(error_of("collect old\n"),
            "t.gct:1:9: unexpected 'old' (expected 'young' or end of line)");
  EXPECT_EQ(error_of("clear everything\n"),
            "t.gct:1:7: expected 'revived' or 'garbage', got 'everything'");
  EXPECT_EQ(error_of("expect freed\n"),
            "t.gct:1:13: expected an object id like @3, found end of line");
  EXPECT_EQ(error_of("expect freed @x\n"), "t.gct:1:14: expected an object id like @3, got '@x'");
  EXPECT_EQ(error_of("expect nothing\n"),
            "t.gct:1:8: unknown expectation 'nothing' (expected collected, freed, alive, "
            "finalized, garbage, refcount)");
  EXPECT_EQ(error_of("expect freed @1 when java8\n"),
            "t.gct:1:22: unknown policy 'java8' (expected pep442, pep442-whole, legacy, java, "
            "boehm, lua)");
  EXPECT_EQ(
      error_of("expect freed @1 when\n"),
      "t.gct:1:21: expected a policy (pep442, pep442-whole, legacy, java, boehm, lua), found end "
      "of line");
  EXPECT_EQ(error_of("expect collected 2 x\n"),
            "t.gct:1:20: unexpected 'x' (expected 'when POLICY...' or end of line)");
}

TEST(Text, EnforcesLimits) {
  EXPECT_EQ(error_of("alloc " + std::string(65, 'a') + " 1\n"),
            "t.gct:1:7: variable name longer than 64 characters");
  EXPECT_EQ(error_of("alloc " + std::string(5000, 'a') + " 1\n"),
            "t.gct:1:4097: line is longer than 4096 characters");
  EXPECT_EQ(error_of("expect freed @1073741824\n"),
            "t.gct:1:14: expected an object id like @3, got '@1073741824'");
  EXPECT_EQ(error_of("expect collected 99999999999999999999\n"),
            "t.gct:1:18: expected a count (0..1000000000000), got '99999999999999999999'");
}

// `bytes=B` (a payload): printed after `fin=`, and only when not 0, so traces without
// payloads keep their text; limited per object and per trace.
TEST(Text, PayloadsParsePrintAndAreLimited) {
  const Trace t = parse_ok(
      "alloc a 1 bytes=4096\nalloc b 0 fin=log bytes=65517\nalloc c 2 bytes=0\n"
      "alloc d 0 fin=alloc bytes=16777216\n");
  EXPECT_EQ(std::get<Alloc>(t.ops[0]).payload.bytes, 4096u);
  EXPECT_EQ(std::get<Alloc>(t.ops[1]).payload.bytes, 65517u);
  EXPECT_EQ(std::get<Alloc>(t.ops[2]).payload.bytes, 0u);
  EXPECT_EQ(print_trace(t),
            "alloc a 1 bytes=4096\nalloc b 0 fin=log bytes=65517\nalloc c 2\n"
            "alloc d 0 fin=alloc bytes=16777216\n");
  EXPECT_EQ(error_of("alloc a 1 bytes=16777217\n"),
            "t.gct:1:17: expected a payload size (0..16777216 bytes), got '16777217'");
  EXPECT_EQ(error_of("alloc a 1 bytes=-1\n"),
            "t.gct:1:17: expected a payload size (0..16777216 bytes), got '-1'");
  EXPECT_EQ(error_of("alloc a 1 bytes=\n"),
            "t.gct:1:17: expected a payload size (0..16777216 bytes), got ''");
  // The canonical order is fin= then bytes=.
  EXPECT_EQ(error_of("alloc a 1 bytes=8 fin=log\n"),
            "t.gct:1:19: unexpected 'fin=log' after the operation");
  std::string many;
  for (int i = 0; i < 16; ++i) many += "alloc a 0 bytes=16777216\n";
  EXPECT_TRUE(parse_trace(many, "t.gct").parsed);  // 256 MiB in all: the limit itself
  EXPECT_EQ(error_of(many + "alloc b 0 bytes=1\n"),
            "t.gct:17:1: the trace allocates more than 268435456 bytes of payload in all");
}

// Both found by gcfuzz_parser_fuzzer: text that parsed but did not print back the same.
TEST(Text, HeaderCommentsRoundTrip) {
  // Every trailing carriage return goes, not only the one of a CRLF line ending.
  ParseResult r = parse_trace("# a\r\r\nalloc a 1\r\n", "t.gct");
  ASSERT_TRUE(r.parsed);
  EXPECT_EQ(print_trace(r.parsed->trace), "# a\nalloc a 1\n");
  // A comment that would print (as `# ` + text) longer than a line is refused.
  EXPECT_EQ(error_of("#" + std::string(4095, 'x') + "\n"),
            "t.gct:1:4095: comment is longer than 4094 characters");
  ParseResult longest = parse_trace("# " + std::string(4094, 'x') + "\n", "t.gct");
  ASSERT_TRUE(longest.parsed);
  EXPECT_TRUE(parse_trace(print_trace(longest.parsed->trace), "t.gct").parsed);
}

TEST(Text, ReportsUnreadableFiles) {
  ParseResult r = load_trace("/nonexistent/x.gct");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->to_string(), "/nonexistent/x.gct: cannot read this file");
}

TEST(Text, SurvivesBinaryGarbage) {
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes.push_back(static_cast<char>((i * 7919) % 256));
  ParseResult r = parse_trace(bytes, "bin.gct");
  EXPECT_TRUE(r.error);
}

TEST(Text, ContentHashIgnoresNothingButIsStable) {
  const Trace a = parse_ok("alloc a 1\ncollect\n");
  const Trace b = parse_ok("alloc  a 1 # same\ncollect\n");
  const Trace c = parse_ok("alloc a 2\ncollect\n");
  EXPECT_EQ(content_hash(a), content_hash(b));
  EXPECT_NE(content_hash(a), content_hash(c));
  EXPECT_EQ(content_hash(a).size(), 16u);
}

// Any op at all, expectations included (the trace generator makes only mutator ops).
rc::Gen<Op> arbitrary_op() {
  using namespace rc;
  auto var = gen::map(gen::inRange(0, 40), [](int i) {
    return Var{i < 26 ? std::string(1, static_cast<char>('a' + i)) : "v_" + std::to_string(i)};
  });
  auto slot = gen::map(gen::inRange(0, kMaxSlots), [](int i) { return Slot{i}; });
  auto count =
      gen::map(gen::inRange<std::int64_t>(0, 1000), [](std::int64_t n) { return Count{n}; });
  auto fin =
      gen::map(gen::inRange(0, 5), [](int f) { return FinalizerField{static_cast<Finalizer>(f)}; });
  auto ids =
      gen::map(gen::nonEmpty(gen::container<std::vector<std::uint32_t>>(gen::inRange(0u, 100u))),
               [](const std::vector<std::uint32_t>& v) {
                 ObjectList l;
                 for (auto x : v) l.ids.push_back(ObjectId{x});
                 return l;
               });
  auto when = gen::map(gen::inRange(0, 32),
                       [](int m) { return PolicyFilter{static_cast<std::uint8_t>(m)}; });
  return gen::oneOf(
      gen::construct<Op>(gen::construct<Alloc>(
          var, gen::map(gen::inRange(0, kMaxSlots + 1), [](int n) { return SlotCount{n}; }), fin)),
      gen::construct<Op>(gen::construct<Link>(var, slot, var)),
      gen::construct<Op>(gen::construct<Unlink>(var, slot)),
      gen::construct<Op>(gen::construct<Load>(var, var, slot)),
      gen::construct<Op>(gen::construct<Copy>(var, var)),
      gen::construct<Op>(gen::construct<Drop>(var)),
      gen::construct<Op>(gen::construct<Weak>(
          var, var, gen::construct<Flag<CallbackWord>>(gen::arbitrary<bool>()))),
      gen::construct<Op>(gen::construct<Deref>(var, var)),
      gen::construct<Op>(
          gen::construct<Collect>(gen::construct<Flag<YoungWord>>(gen::arbitrary<bool>()))),
      gen::construct<Op>(gen::construct<Clear>(
          gen::map(gen::inRange(0, 2), [](int l) { return ListField{static_cast<RootList>(l)}; }))),
      gen::construct<Op>(gen::construct<ExpectCollected>(count, when)),
      gen::construct<Op>(gen::construct<ExpectFreed>(ids, when)),
      gen::construct<Op>(gen::construct<ExpectAlive>(ids, when)),
      gen::construct<Op>(gen::construct<ExpectFinalized>(ids, when)),
      gen::construct<Op>(gen::construct<ExpectGarbage>(ids, when)),
      gen::construct<Op>(gen::construct<ExpectRefcount>(var, count, when)));
}

RC_GTEST_PROP(TextProperty, ParseOfPrintIsIdentityForAnyOps, ()) {
  Trace t;
  t.ops = *rc::gen::container<std::vector<Op>>(arbitrary_op());
  t.header = *rc::gen::container<std::vector<std::string>>(
      rc::gen::container<std::string>(rc::gen::elementOf(std::string("abc xyz#@ =-"))));
  const ParseResult r = parse_trace(print_trace(t), "roundtrip.gct");
  RC_ASSERT(!r.error);
  RC_ASSERT(r.parsed->trace == t);
}

RC_GTEST_PROP(TextProperty, ParseOfPrintIsIdentityForGeneratedTraces, ()) {
  const Trace t = *trace_generator();
  const ParseResult r = parse_trace(print_trace(t), "roundtrip.gct");
  RC_ASSERT(!r.error);
  RC_ASSERT(r.parsed->trace == t);
}

RC_GTEST_PROP(TextProperty, ArbitraryBytesNeverCrashTheParser, ()) {
  const std::string bytes = *rc::gen::container<std::string>(rc::gen::weightedOneOf<char>(
      {{4, rc::gen::elementOf(std::string("alloc link @0123 fin=#\n\t"))},
       {1, rc::gen::arbitrary<char>()}}));
  const ParseResult r = parse_trace(bytes, "fuzz.gct");
  RC_ASSERT(r.parsed.has_value() != r.error.has_value());
}

}  // namespace
}  // namespace gcfuzz
