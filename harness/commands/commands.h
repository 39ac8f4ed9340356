// The `gcfuzz` verbs. Each returns the process exit code (docs/commands.md: 0 all agree,
// 1 a divergence or a failed expectation, 2 bad usage or input, 3 internal error).
#pragma once

#include "harness/commands/layer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/campaigns/selftest.h"

namespace gcfuzz {

inline constexpr int kExitAgree = 0;
inline constexpr int kExitDivergence = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInternal = 3;

struct ListOptions {
  bool mutants = false;
  bool json = false;
};
int list_command(const ListOptions& options);

struct ModelOptionsCli {
  std::string policy = "pep442";
  std::optional<std::string> collector;  // judge as this collector is: its policy, capabilities
  bool json = false;
  std::string file;
};
int model_command(const ModelOptionsCli& options);

struct ShowOptions {
  bool dot = false;
  bool python = false;
  bool lua = false;  // a Lua 5.4 script (harness/external/lua_script.h)
  // --dot: the collectors checked for a divergence, and the model drawn when none diverges:
  // the collector named (mutants too), or every non-mutant (of the policy, when one is
  // given) and the policy's model (default pep442). A divergence is drawn on the model its
  // collector is judged by.
  std::optional<std::string> policy;
  std::optional<std::string> collector;
  std::optional<std::size_t> at;   // the heap after this op (default: the first divergence's)
  std::optional<std::string> svg;  // render the graph to this file through Graphviz
  std::optional<std::string> png;  // likewise
  bool fork = true;                // collectors in child processes: a crash is a divergence
  std::string file;
};
// Exit code 0 whenever the trace was shown, a divergence drawn or not.
int show_command(const ShowOptions& options);

struct ReplayOptions {
  std::vector<std::string> collectors;
  std::vector<std::string> paths;
  bool json = false;
  bool fork = true;
  double timeout_seconds = 60;
  bool coverage = false;                     // print the SPEC.md rules the traces exercised
  std::optional<std::string> coverage_json;  // and write them to this file, as JSON
};
int replay_command(const ReplayOptions& options);

struct RunOptions {
  std::vector<std::string> collectors;
  std::uint64_t seed = 1;
  std::optional<std::size_t> traces;
  std::size_t ops = 64;
  std::string heap = "mixed";  // small | large | mixed (harness/trace/sizes.h)
  std::optional<double> time_seconds;
  std::optional<std::string> save_dir;
  std::size_t shrink_tries = 5000;
  bool fork = true;
  bool quiet = false;
  bool coverage = false;
  std::optional<std::string> coverage_json;
};
int run_command(const RunOptions& options);

struct MinimizeOptions {
  std::optional<std::string> collector;  // default: the first collector that diverges
  std::string file;
  std::optional<std::string> output;  // default: standard output
  bool fork = true;
};
// Exit code 1 when a divergence was kept (the minimized trace shows it), 0 when the trace
// agrees on every collector (nothing to minimize).
int minimize_command(const MinimizeOptions& options);

struct CorpusOptions {
  std::string action;                    // merge | regression
  std::vector<std::string> paths;        // merge: working-corpus folders; regression: one trace
  std::string corpus_root = "corpus";    // merge: what counts as already present
  std::optional<std::string> into;       // default corpus/fuzz (merge), corpus/regressions
  std::optional<std::string> collector;  // regression: the collector that broke
  std::optional<std::string> name;       // regression: file name without .gct
  std::string description;               // regression: a first header line
  bool verbose = false;
};
int corpus_command(const CorpusOptions& options);

// SelftestOptions: harness/campaigns/selftest.h.
int selftest_command(const SelftestOptions& options);

struct CompareCommandOptions {
  std::vector<std::string> collectors;  // default: every non-mutant
  std::vector<std::string> workloads;   // names or globs; default: default_workload_names()
  std::string format = "md";            // md | csv | json | html
  std::optional<std::string> output;    // default: standard output
  std::string corpus = "corpus";
  std::uint64_t seed = 1;
  std::size_t traces = 200;  // of the random workload
  std::size_t ops = 64;      // per random trace, at most
  double timeout_seconds = 120;
  std::size_t check_up_to = 100'000;  // synthetic heaps larger than this are only timed
  bool with_mutation_score = false;   // default: with --format html only
  bool without_mutation_score = false;
  bool fork = true;
  bool quiet = false;
  bool progress = false;  // a progress line even when stderr is not a terminal
  bool list_workloads = false;
  bool coverage = false;  // the SPEC.md rules each checked workload exercised
  std::optional<std::string> coverage_json;
  std::optional<std::string> from;  // a saved --format json result: render it, run nothing
  std::string command_line;         // for the report
};
int compare_command(const CompareCommandOptions& options);

}  // namespace gcfuzz
