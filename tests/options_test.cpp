// Every numeric option has a range: out of it, or not a number, the command stops with one
// line naming the option and the range, and exit code 2, before anything runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/scratch.h"

namespace gcfuzz {
namespace {

class Options : public ScratchTest {
 protected:
  void expect_refused(const std::string& args, const std::string& line) {
    const CommandOutcome r = gcfuzz(args);
    EXPECT_EQ(r.status, 2) << args << ": " << r.out << r.err;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(r.err, line + "\n") << args;
  }
};

TEST_F(Options, OutOfRangeValuesAreOneLineAndExitTwo) {
  expect_refused("run --traces -5", "gcfuzz: --traces: -5 is not a number from 1 to 1000000000");
  expect_refused("run --traces 0", "gcfuzz: --traces: 0 is not a number from 1 to 1000000000");
  expect_refused("run --ops 0", "gcfuzz: --ops: 0 is not a number from 1 to 100000");
  expect_refused("run --time -1", "gcfuzz: --time: -1 is not a number from 0.001 to 10000000");
  expect_refused("run --seed abc",
                 "gcfuzz: --seed: abc is not a number from 0 to 18446744073709551615");
  expect_refused("run --seed -1",
                 "gcfuzz: --seed: -1 is not a number from 0 to 18446744073709551615");
  expect_refused("run --shrink-tries 1e3",
                 "gcfuzz: --shrink-tries: 1e3 is not a number from 0 to 100000000");
  expect_refused("replay --timeout 0 x.gct",
                 "gcfuzz: --timeout: 0 is not a number from 0.001 to 10000000");
  expect_refused("selftest --traces 0", "gcfuzz: --traces: 0 is not a number from 1 to 1000000000");
  expect_refused("compare --ops 100001", "gcfuzz: --ops: 100001 is not a number from 1 to 100000");
  expect_refused("--exec-timeout nan list",
                 "gcfuzz: --exec-timeout: nan is not a number from 0.001 to 86400");
}

TEST_F(Options, OtherUsageErrorsAreOneLineToo) {
  const CommandOutcome r = gcfuzz("run --no-such-option");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("gcfuzz: ", 0), 0u) << r.err;
}

TEST_F(Options, InRangeValuesRun) {
  const CommandOutcome r =
      gcfuzz("run -c mark-sweep:java --traces 3 --ops 5 --seed 18446744073709551615 --quiet");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

}  // namespace
}  // namespace gcfuzz
