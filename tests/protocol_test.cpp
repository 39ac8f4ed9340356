// Collectors in another process (docs/protocol.md), as a user meets them through the gcfuzz
// command: an adapter that cannot be had is refused with one line and exit code 2 before any
// trace runs; one that misbehaves mid-trace is a divergence of its collector at that op, quoting
// what it sent, while the other collectors go on and the adapter is restarted for the next trace.
// The adapter is gcfuzz's own for CPython (adapters/python/), run by the python3 on PATH; the
// misbehaving one (tests/peers/misbehaving_peer.py) wraps it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/external/cpython_oracle.h"
#include "tests/scratch.h"

namespace gcfuzz {
namespace {

namespace fs = std::filesystem;

const std::string kAdapter = std::string(GCFUZZ_SOURCE_DIR) + "/adapters/python/cpython_adapter.py";
const std::string kMisbehaving =
    std::string(GCFUZZ_SOURCE_DIR) + "/tests/peers/misbehaving_peer.py";

// One trace that passes on CPython 3.9+ and mark-sweep:java alike (no cycles, no finalizers).
constexpr const char* kPlain =
    "alloc a 1\nalloc b 0\nlink a 0 b\ndrop b\ncollect\ndrop a\ncollect\n";
// The same, with the trigger of the misbehaving peer at op 3 (`drop boom`).
constexpr const char* kTriggers =
    "alloc a 1\nalloc boom 0\nlink a 0 boom\ndrop boom\ncollect\ndrop a\ncollect\n";

class Protocol : public ScratchTest {
 protected:
  std::string misbehaving(const std::string& mode) {
    return "--exec 'bad=python3 " + kMisbehaving + " " + mode + " " + kAdapter + "'";
  }
  // Replays a trace whose op 3 triggers `mode`, then a plain one, on the misbehaving adapter and
  // on a built-in collector.
  CommandOutcome replay_misbehaving(const std::string& mode) {
    write("1-triggers.gct", kTriggers);
    write("2-plain.gct", kPlain);
    return gcfuzz(misbehaving(mode) + " --exec-timeout 2 replay " +
                  (dir_ / "1-triggers.gct").string() + " " + (dir_ / "2-plain.gct").string() +
                  " -c exec:bad -c mark-sweep:java");
  }
  // The misbehaving adapter diverged at op 3 of the first trace only, with this check and a
  // detail containing `detail`; mark-sweep:java passed both; the second trace passed on a
  // restarted adapter.
  void expect_divergence_at_op_3(const CommandOutcome& r, const std::string& check,
                                 const std::string& detail) {
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("1-triggers.gct: FAILED"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("exec:bad/cpython: " + check + " divergence at op 3"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find(detail), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("mark-sweep:java:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("2-plain.gct: ok"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("SUMMARY: gcfuzz replay: 1 divergence in 2 files x 2 collectors"),
              std::string::npos)
        << r.out;
  }
  // A declaration or an adapter that cannot be used: exit code 2, one line on stderr beginning
  // with `expected`, nothing on stdout.
  void expect_refused(const CommandOutcome& r, const std::string& expected) {
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind(expected, 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
};

// ---- A peer that misbehaves mid-trace: a divergence naming the op ----

TEST_F(Protocol, APeerThatSendsGarbageIsACrashQuotingTheLine) {
  expect_divergence_at_op_3(replay_misbehaving("garbage"), "crash",
                            "`drop boom`: malformed reply 'Segmentation fault (core dumped)' "
                            "(not JSON)");
}

TEST_F(Protocol, APeerThatSendsTheWrongTypesIsACrashQuotingTheLine) {
  expect_divergence_at_op_3(replay_misbehaving("badtypes"), "crash",
                            "`drop boom`: malformed reply '{\"freed\": \"all of them\"}' ('freed' "
                            "must be a list)");
}

TEST_F(Protocol, APeerThatClosesItsOutputMidTraceIsACrash) {
  expect_divergence_at_op_3(replay_misbehaving("close"), "crash",
                            "`drop boom`: the adapter closed its output; it closed its output "
                            "and kept running; its stderr ends 'misbehaving_peer: closed stdout'");
}

TEST_F(Protocol, APeerThatDiesSaysHowAndWhatItLastSaid) {
  expect_divergence_at_op_3(replay_misbehaving("crash"), "crash",
                            "`drop boom`: the adapter closed its output; it was killed by signal "
                            "6 (Aborted); its stderr ends 'misbehaving_peer: about to abort'");
}

TEST_F(Protocol, APeerThatNeverAnswersIsATimeout) {
  expect_divergence_at_op_3(replay_misbehaving("silent"), "timeout",
                            "`drop boom`: no answer within 2 s");
}

TEST_F(Protocol, ACampaignGoesOnPastABrokenPeer) {
  // The peer breaks on a late `collect` of any trace: its divergence is found and shrunk,
  // and the built-in collector runs every trace.
  const CommandOutcome r =
      gcfuzz(misbehaving("late") + " run -c exec:bad -c mark-sweep:java --traces 300 --seed 3");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("exec:bad/cpython  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 (crash)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("malformed reply 'collected everything, trust me' (not JSON)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("mark-sweep:java   300"), std::string::npos) << r.out;
}

// ---- Declarations and handshakes that cannot be used: one line, exit code 2 ----

TEST_F(Protocol, AnUndeclaredNameIsRefused) {
  expect_refused(gcfuzz("run -c exec:nowhere --traces 1", "GCFUZZ_COLLECTOR_PATH=" + dir_.string()),
                 "gcfuzz: exec:nowhere is not declared: give --exec nowhere='COMMAND' or a "
                 "nowhere.collector file in one of: " +
                     dir_.string());
}

TEST_F(Protocol, AMalformedExecOptionIsRefused) {
  expect_refused(gcfuzz("--exec 'no command here' list"),
                 "gcfuzz: --exec 'no command here': expected NAME='COMMAND ARGS'");
  expect_refused(gcfuzz("--exec 'a b=true' list"),
                 "gcfuzz: --exec 'a b=true': the name must be letters, digits");
}

TEST_F(Protocol, AProgramThatDoesNotExistIsRefused) {
  expect_refused(gcfuzz("--exec 'gone=/no/such/adapter' run -c exec:gone --traces 1"),
                 "gcfuzz: exec:gone (--exec): the adapter closed its output; it exited with "
                 "status 127; its stderr ends");
}

TEST_F(Protocol, ABadHandshakeIsRefused) {
  expect_refused(gcfuzz(misbehaving("handshake") + " run -c exec:bad --traces 1"),
                 "gcfuzz: exec:bad (--exec): bad handshake 'hello, I am not a gcfuzz adapter': "
                 "not a JSON object");
}

TEST_F(Protocol, AHandshakeWithoutAPolicyIsRefused) {
  const fs::path peer = write("peer.sh",
                              "read line\n"
                              "echo '{\"protocol\": 1, \"collectors\": [{\"name\": \"x\", "
                              "\"capabilities\": {\"policy\": \"smalltalk\"}}]}'\n"
                              "read line\n");
  expect_refused(gcfuzz("--exec 'odd=sh " + peer.string() + "' list"),
                 "gcfuzz: exec:odd (--exec): bad handshake");
  const CommandOutcome r = gcfuzz("--exec 'odd=sh " + peer.string() + "' list");
  EXPECT_NE(
      r.err.find("unknown policy 'smalltalk' (pep442, pep442-whole, legacy, java, boehm, lua)"),
      std::string::npos)
      << r.err;
}

TEST_F(Protocol, AnotherProtocolVersionIsRefused) {
  const fs::path peer =
      write("peer.sh", "read line\necho '{\"protocol\": 2, \"collectors\": []}'\nread line\n");
  expect_refused(gcfuzz("--exec 'v2=sh " + peer.string() + "' run -c exec:v2 --traces 1"),
                 "gcfuzz: exec:v2 (--exec): bad handshake '{\"protocol\": 2, \"collectors\": "
                 "[]}': it speaks protocol 2, gcfuzz speaks 1");
}

// ---- Collector files, list, run, replay and selftest through the protocol ----

TEST_F(Protocol, ACollectorFileInTheSearchPathDeclaresACollector) {
  fs::copy_file(kAdapter, dir_ / "adapter.py");
  write("collectors/py.collector",
        "# gcfuzz's CPython adapter, by the python3 on PATH\n"
        "command = python3 ../adapter.py   # relative to this file's folder\n"
        "timeout = 5\n");
  const std::string env = "GCFUZZ_COLLECTOR_PATH=" + (dir_ / "collectors").string();
  const CommandOutcome replayed =
      gcfuzz("replay -c exec:py " + std::string(GCFUZZ_SOURCE_DIR) + "/corpus/spec", env);
  EXPECT_EQ(replayed.status, 0) << replayed.out << replayed.err;
  EXPECT_NE(replayed.out.find("x 1 collector: all agree"), std::string::npos) << replayed.out;

  write("collectors/broken.collector", "commands = python3\n");
  expect_refused(gcfuzz("run -c exec:broken --traces 1", env),
                 "gcfuzz: " + (dir_ / "collectors/broken.collector").string() +
                     ":1: expected 'command = ...' or 'timeout = SECONDS'");
}

TEST_F(Protocol, ListShowsAnAdaptersCollectorsAndMutants) {
  const CommandOutcome r = gcfuzz("--exec 'py=python3 " + kAdapter + "' list --mutants");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("exec:py/cpython "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exec:py/cpython~keeps-last-object"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exec:py/cpython~no-callbacks"), std::string::npos) << r.out;
}

TEST_F(Protocol, SelftestCatchesTheAdaptersMutants) {
  const CommandOutcome r = gcfuzz("--exec 'py=python3 " + kAdapter +
                                  "' selftest -c 'exec:py/*~*' --traces 2000 --time 60");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("exec:py/cpython~keeps-last-object"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exec:py/cpython~no-callbacks"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(" NO "), std::string::npos) << r.out;
}

// compare takes a collector in another process: it agrees on the corpus; its memory, which
// is in the adapter's process, is not measured.
TEST_F(Protocol, CompareRunsAnAdapter) {
  const CommandOutcome r =
      gcfuzz("--exec 'py=python3 " + kAdapter +
             "' compare -c exec:py -w corpus -w list-1k --format json --corpus " +
             std::string(GCFUZZ_SOURCE_DIR) + "/corpus");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const nlohmann::json run = nlohmann::json::parse(r.out);
  ASSERT_EQ(run.at("collectors").size(), 1u) << r.out;
  const nlohmann::json& c = run.at("collectors").at(0);
  EXPECT_EQ(c.at("name"), "exec:py/cpython");
  for (const nlohmann::json& w : c.at("workloads")) {
    EXPECT_EQ(w.at("status"), "ok") << w.dump();
    EXPECT_TRUE(w.at("peak_heap_bytes").is_null()) << w.dump();
  }
}

TEST_F(Protocol, AnOpTheAdapterCannotExpressEndsTheTraceWithoutADivergence) {
  const fs::path peer = write("peer.sh",
                              "read line\n"
                              "echo '{\"protocol\": 1, \"collectors\": [{\"name\": \"x\", "
                              "\"capabilities\": {\"policy\": \"java\"}}]}'\n"
                              "read line; echo '{\"ok\": true}'\n"
                              "read line; echo '{}'\n"
                              "read line; echo '{\"unsupported\": \"fin=log: no finalizers\"}'\n"
                              "read line\n");
  const fs::path trace = write("t.gct", "alloc a 0\nalloc b 0 fin=log\ncollect\n");
  const CommandOutcome r =
      gcfuzz("--exec 'x=sh " + peer.string() + "' replay -c exec:x " + trace.string());
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("cannot express it all: exec:x/x stopped at op 1 (fin=log: no finalizers)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 run ended early"), std::string::npos) << r.out;
}

// ---- python:PATH goes through the protocol, fast enough for random campaigns ----

class PythonThroughTheProtocol : public Protocol,
                                 public ::testing::WithParamInterface<std::pair<int, int>> {};

TEST_P(PythonThroughTheProtocol, RandomTracesAgreeWithThePolicy) {
  const auto [major, minor] = GetParam();
  const std::optional<Interpreter> python = find_interpreter(major, minor);
  if (!python) GTEST_SKIP() << "no CPython " << major << "." << minor;
  const CommandOutcome r =
      gcfuzz("run -c python:" + python->path.string() + " --traces 500 --seed 7 --quiet");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("SUMMARY: gcfuzz run: 500 traces"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Interpreters, PythonThroughTheProtocol,
                         ::testing::Values(std::pair{2, 7}, std::pair{3, 8}, std::pair{3, 13}),
                         [](const auto& info) {
                           return "CPython" + std::to_string(info.param.first) +
                                  std::to_string(info.param.second);
                         });

}  // namespace
}  // namespace gcfuzz
