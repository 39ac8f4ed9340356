// The `gcfuzz` command: parses arguments (CLI11) and calls one verb. Only this file decides
// exit codes: 0 all agree, 1 a divergence or failed expectation, 2 bad usage or input,
// 3 internal error.
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "harness/commands/commands.h"
#include "harness/engine/external_collectors.h"
#include "harness/engine/plugins.h"
#include "harness/external/exec_collectors.h"

namespace {

constexpr const char* kPolicies = "pep442, pep442-whole, legacy, java, boehm, lua";

// Every numeric option has a range: a value outside it, or not a number, is one line naming
// the option and the range (`--traces: -5 is not a number from 1 to 1000000000`), exit 2.
template <typename T>
CLI::Validator within(T lo, T hi) {
  const std::string range = fmt::format("from {} to {}", lo, hi);
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        T value{};
        bool parsed = false;
        if constexpr (std::is_floating_point_v<T>) {
          char* end = nullptr;
          value = std::strtod(text.c_str(), &end);
          parsed = !text.empty() && *end == '\0' && std::isfinite(value);
        } else {
          const char* last = text.data() + text.size();
          const auto [end, error] = std::from_chars(text.data(), last, value);
          parsed = error == std::errc() && end == last;
        }
        if (parsed && value >= lo && value <= hi) return std::string();
        return fmt::format("{} is not a number {}", text, range);
      },
      range);
}

constexpr double kMaxSeconds = 1e7;

void add_coverage_options(CLI::App& command, bool& coverage,
                          std::optional<std::string>& coverage_json) {
  command.add_flag("--coverage", coverage,
                   "Also report the SPEC.md rules the traces exercised, how often, and which "
                   "never fired (docs/coverage.md)");
  command.add_option("--coverage-json", coverage_json,
                     "Write that report to this file, as JSON (implies --coverage)");
}
constexpr std::size_t kMaxTraces = 1'000'000'000;

}  // namespace

int main(int argc, char** argv) {
  using namespace gcfuzz;
  // `-c exec:NAME` and `-c python:<path>`: collectors in another process (docs/protocol.md).
  set_external_resolver(resolve_out_of_process);
  // Named, so that the usage lines (and docs/commands.md, generated from them) do not depend on
  // the path the binary was started by.
  CLI::App app{"gcfuzz: property-based fuzzing of garbage collectors against a reference model",
               "gcfuzz"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show the help of every verb");
  app.set_version_flag("--version", "gcfuzz " GCFUZZ_VERSION " (plugin ABI " +
                                        std::to_string(GCFUZZ_PLUGIN_ABI_VERSION) + ")");
  // Options of the app may also follow the verb: `gcfuzz run --plugin my.so -c mine:java`.
  app.fallthrough();
  // Usage errors are one line (no "Run with --help" after it).
  app.failure_message(
      [](const CLI::App*, const CLI::Error& e) { return fmt::format("gcfuzz: {}\n", e.what()); });
  std::vector<std::string> plugins;
  app.add_option("--plugin", plugins,
                 "Load the collectors of this plugin, a shared object of the C ABI "
                 "(include/gcfuzz/plugin.h); repeatable. GCFUZZ_PLUGINS=PATH[:PATH...] too")
      ->option_text("PATH.so");
  std::vector<std::string> execs;
  app.add_option("--exec", execs,
                 "Declare the out-of-process collector exec:NAME, an adapter speaking gcfuzz's "
                 "line protocol (docs/protocol.md); repeatable. Or a NAME.collector file")
      ->option_text("NAME='COMMAND ARGS'");
  double exec_timeout = 30;
  app.add_option("--exec-timeout", exec_timeout,
                 "Seconds an --exec adapter may take to answer one request")
      ->check(within(0.001, 86400.0))
      ->option_text("SECONDS (30)");

  ListOptions list;
  auto* list_cmd = app.add_subcommand("list", "Collectors: name, policy, capabilities, origin");
  list_cmd->add_flag("--mutants", list.mutants, "Include the known-buggy mutants");
  list_cmd->add_flag("--json", list.json, "One JSON object per collector");

  ReplayOptions replay;
  auto* replay_cmd =
      app.add_subcommand("replay", "Replay .gct files or folders against collectors");
  replay_cmd->add_option("-c,--collector", replay.collectors,
                         "Collector name or glob (repeatable; default: every non-mutant)");
  replay_cmd->add_option("paths", replay.paths, "Trace files, or folders of them")->required();
  replay_cmd->add_flag("--json", replay.json, "Per op and collector: the observed events, as JSON");
  replay_cmd->add_flag("!--no-fork", replay.fork, "Run collectors in this process (for debuggers)");
  replay_cmd
      ->add_option("--timeout", replay.timeout_seconds,
                   "Seconds without progress before a collector counts as hung")
      ->check(within(0.001, kMaxSeconds));
  add_coverage_options(*replay_cmd, replay.coverage, replay.coverage_json);

  RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Random differential traces; divergences shrunk");
  run_cmd->add_option("-c,--collector", run.collectors,
                      "Collector name or glob (repeatable; default: every non-mutant)");
  run_cmd->add_option("--seed", run.seed, "Seed of the campaign (same seed, same traces)")
      ->check(within<std::uint64_t>(0, UINT64_MAX));
  run_cmd
      ->add_option("--traces", run.traces,
                   "Stop after this many traces (default 1000, or unlimited with --time)")
      ->check(within<std::size_t>(1, kMaxTraces));
  run_cmd
      ->add_option("--ops", run.ops, "Ops per trace, at most (an allocation burst counts as one)")
      ->check(within<std::size_t>(1, 100000));
  run_cmd
      ->add_option("--heap", run.heap,
                   "Payload sizes: small (up to 256 bytes, no bursts), large (KiB to MiB, "
                   "frequent allocation bursts) or mixed (heavy-tailed, some bursts)")
      ->check(CLI::IsMember({"small", "large", "mixed"}))
      ->capture_default_str();
  run_cmd->add_option("--time", run.time_seconds, "Stop after this many seconds")
      ->check(within(0.001, kMaxSeconds));
  run_cmd
      ->add_option("--shrink-tries", run.shrink_tries,
                   "Candidate traces tried while shrinking a divergence, at most (the same seed "
                   "then gives the same shrunk trace on any machine)")
      ->check(within<std::size_t>(0, 100'000'000))
      ->capture_default_str();
  run_cmd->add_option("--save", run.save_dir,
                      "Folder to write each shrunk divergence to, as <collector>-<hash>.gct");
  run_cmd->add_flag("!--no-fork", run.fork, "Run collectors in this process (for debuggers)");
  run_cmd->add_flag("--quiet", run.quiet, "No progress line");
  add_coverage_options(*run_cmd, run.coverage, run.coverage_json);

  MinimizeOptions minimize;
  auto* minimize_cmd =
      app.add_subcommand("minimize", "Shrink a failing trace while the same divergence reproduces");
  minimize_cmd->add_option("-c,--collector", minimize.collector,
                           "The collector whose divergence to keep (default: the first that "
                           "diverges, mutants included when named)");
  minimize_cmd->add_option("file", minimize.file, "Trace file")->required();
  minimize_cmd->add_option("-o,--output", minimize.output,
                           "Write the minimized trace here (atomically) instead of stdout");
  minimize_cmd->add_flag("!--no-fork", minimize.fork, "Run collectors in this process");

  CorpusOptions corpus;
  auto* corpus_cmd = app.add_subcommand("corpus", "Fold fuzzing output into the regression corpus");
  corpus_cmd->require_subcommand(1);
  auto* merge_cmd = corpus_cmd->add_subcommand(
      "merge",
      "Add the traces of working-corpus folders not already in the corpus (canonical "
      "text, named by content hash)");
  merge_cmd->add_option("dirs", corpus.paths, "Working-corpus folders or files")->required();
  merge_cmd->add_option("--into", corpus.into, "Where new traces go (default: corpus/fuzz)");
  merge_cmd->add_option("--corpus", corpus.corpus_root, "The corpus checked for duplicates")
      ->capture_default_str();
  merge_cmd->add_flag("-v,--verbose", corpus.verbose, "Say why each skipped file is not a trace");
  auto* regression_cmd = corpus_cmd->add_subcommand(
      "regression",
      "Shrink a failing trace and save it as a regression test with the model's "
      "expectations at the op that broke (default folder: corpus/regressions)");
  regression_cmd->add_option("file", corpus.paths, "The failing trace")->required()->expected(1);
  regression_cmd->add_option("-c,--collector", corpus.collector,
                             "The collector that broke (default: the first that diverges)");
  regression_cmd->add_option("--name", corpus.name, "File name, without .gct");
  regression_cmd->add_option("--into", corpus.into, "Folder (default: corpus/regressions)");
  regression_cmd->add_option("-m,--message", corpus.description,
                             "A first header line: what broke, in words");

  ModelOptionsCli model;
  auto* model_cmd = app.add_subcommand("model", "The reference model's expected events, per op");
  model_cmd->add_option("--policy", model.policy, std::string("Policy: ") + kPolicies)
      ->capture_default_str();
  model_cmd->add_option("-c,--collector", model.collector,
                        "The model as this collector is judged by: its policy, reduced to its "
                        "capabilities (no cycle collection, no generations)");
  model_cmd->add_flag("--json", model.json, "One JSON object per op");
  model_cmd->add_option("file", model.file, "Trace file")->required();

  ShowOptions show;
  auto* show_cmd = app.add_subcommand(
      "show",
      "A trace: canonical text, the heap graph at the first divergence (--dot, --svg, --png), "
      "or a Python or Lua script");
  show_cmd->footer(
      "--dot prints the model's heap after op N (--at N; default: the op of the first\n"
      "divergence over the collectors checked, else the last op), the diverging objects in\n"
      "red. --svg FILE and --png FILE render that graph with Graphviz's `dot` (graphviz must\n"
      "be installed; --dot is not needed) and write FILE atomically. Exit code 0 once drawn.\n"
      "  gcfuzz show --dot -c 'mark-sweep:java~skip-last-slot' t.gct | dot -Tsvg > heap.svg\n"
      "  gcfuzz show --svg heap.svg t.gct");
  auto* dot_flag = show_cmd->add_flag("--dot", show.dot, "Print the model's heap as Graphviz dot");
  auto* svg_option =
      show_cmd->add_option("--svg", show.svg, "Render the heap graph to this SVG file (Graphviz)")
          ->option_text("FILE");
  auto* png_option =
      show_cmd->add_option("--png", show.png, "Render the heap graph to this PNG file (Graphviz)")
          ->option_text("FILE");
  auto* python_flag =
      show_cmd
          ->add_flag("--python", show.python,
                     "A Python 2.7/3.x script performing the trace in CPython, printing the "
                     "same JSON events as `model --json`")
          ->excludes(dot_flag)
          ->excludes(svg_option)
          ->excludes(png_option);
  show_cmd
      ->add_flag("--lua", show.lua,
                 "A Lua 5.4 script performing the trace in lua5.4 (argument: incremental or "
                 "generational), printing the same JSON events as `model --json --policy lua`")
      ->excludes(dot_flag)
      ->excludes(svg_option)
      ->excludes(png_option)
      ->excludes(python_flag);
  auto* show_policy = show_cmd->add_option(
      "--policy", show.policy,
      std::string("Graph: check the collectors of this policy; with no divergence draw its "
                  "model (default pep442): ") +
          kPolicies);
  show_cmd
      ->add_option("-c,--collector", show.collector,
                   "Graph: check this collector (name or glob; mutants too, by name) and draw the "
                   "model it is judged by (default: every non-mutant)")
      ->excludes(show_policy);
  show_cmd
      ->add_option("--at", show.at,
                   "Graph: the heap after this op, from 0 (default: the first divergence's op, "
                   "else the last)")
      ->check(within<std::size_t>(0, 100'000'000))
      ->option_text("N");
  show_cmd->add_flag("!--no-fork", show.fork, "Run collectors in this process (for debuggers)");
  show_cmd->add_option("file", show.file, "Trace file")->required();

  SelftestOptions selftest;
  auto* selftest_cmd = app.add_subcommand("selftest", "Every known-buggy mutant must be caught");
  selftest_cmd->add_option("-c,--collector", selftest.mutants,
                           "Mutant name or glob (repeatable; default: every mutant)");
  selftest_cmd->add_option("--seed", selftest.seed, "Seed of each campaign")
      ->check(within<std::uint64_t>(0, UINT64_MAX))
      ->capture_default_str();
  selftest_cmd->add_option("--traces", selftest.traces, "Trace budget per mutant")
      ->check(within<std::size_t>(1, kMaxTraces))
      ->capture_default_str();
  selftest_cmd->add_option("--heap", selftest.heap, "Payload sizes of the traces, as for run")
      ->check(CLI::IsMember({"small", "large", "mixed"}))
      ->capture_default_str();
  selftest_cmd->add_option("--time", selftest.time_seconds, "Time budget per mutant, in seconds")
      ->check(within(0.001, kMaxSeconds))
      ->capture_default_str();
  selftest_cmd->add_flag("!--no-fork", selftest.fork, "Run in this process (for debuggers)");
  selftest_cmd
      ->add_option("--format", selftest.format,
                   "text: a row per mutant; md: the mutation score per collector and driver; "
                   "json: both (docs/compare-json.md)")
      ->check(CLI::IsMember({"text", "md", "json"}))
      ->capture_default_str();
  selftest_cmd
      ->add_option("--suite", selftest.suite,
                   "A fixed hand-written suite replayed against each mutant (skipped when the "
                   "folder does not exist)")
      ->capture_default_str();
  selftest_cmd->add_option("--libfuzzer", selftest.libfuzzer,
                           "Also the libFuzzer driver: this fuzz target (make fuzz builds "
                           "build/fuzz/gcfuzz_trace_fuzzer), from an empty corpus per mutant");
  selftest_cmd
      ->add_option("--libfuzzer-time", selftest.libfuzzer_seconds,
                   "Seconds of libFuzzer per mutant, at most")
      ->check(within(1.0, kMaxSeconds))
      ->capture_default_str();

  CompareCommandOptions compare;
  auto* compare_cmd = app.add_subcommand(
      "compare",
      "The same workloads through several collectors: agreement, events, and cost (time, "
      "pauses, memory)");
  compare_cmd->footer(
      "Each collector runs each workload in a child process (a crash or a hang fails that\n"
      "workload only). Synthetic heaps run twice: the collector alone, timed and its memory\n"
      "watched, then in lockstep with the model. --list-workloads names them.\n"
      "  gcfuzz compare --format md\n"
      "  gcfuzz compare --format html -o report.html\n"
      "  gcfuzz compare -c 'mark-sweep:*' -c refcount:pep442 -w 'graph-*' --format csv");
  add_coverage_options(*compare_cmd, compare.coverage, compare.coverage_json);
  compare_cmd->add_option("-c,--collector", compare.collectors,
                          "Collector name or glob (repeatable; default: every non-mutant)");
  compare_cmd->add_option("-w,--workload", compare.workloads,
                          "Workload name or glob (repeatable; default: the default set)");
  compare_cmd->add_flag("--list-workloads", compare.list_workloads,
                        "Print the workloads and the default set, then exit");
  compare_cmd->add_option("--format", compare.format, "md, csv, json or html")
      ->check(CLI::IsMember({"md", "csv", "json", "html"}))
      ->capture_default_str();
  compare_cmd->add_option("-o,--output", compare.output,
                          "Write the report here (atomically) instead of stdout");
  compare_cmd->add_option("--corpus", compare.corpus, "The corpus workload's folder")
      ->capture_default_str();
  compare_cmd->add_option("--seed", compare.seed, "Seed of the random and graph workloads")
      ->check(within<std::uint64_t>(0, UINT64_MAX))
      ->capture_default_str();
  compare_cmd->add_option("--traces", compare.traces, "Traces of the random workload")
      ->check(within<std::size_t>(1, kMaxTraces))
      ->capture_default_str();
  compare_cmd->add_option("--ops", compare.ops, "Ops per random trace, at most")
      ->check(within<std::size_t>(1, 100000))
      ->capture_default_str();
  compare_cmd
      ->add_option("--timeout", compare.timeout_seconds,
                   "Seconds without progress before a collector counts as hung")
      ->check(within(0.001, kMaxSeconds))
      ->capture_default_str();
  compare_cmd
      ->add_option("--check-up-to", compare.check_up_to,
                   "Synthetic heaps of more objects than this are timed, the collector alone, "
                   "but not run in lockstep with the model")
      ->check(within<std::size_t>(0, kMaxTraces))
      ->capture_default_str();
  auto* with_score = compare_cmd->add_flag(
      "--mutation-score", compare.with_mutation_score,
      "Run gcfuzz selftest on the compared collectors' mutants and add the mutation score "
      "(default: with --format html)");
  compare_cmd
      ->add_flag("--no-mutation-score", compare.without_mutation_score,
                 "No mutation score, even with --format html")
      ->excludes(with_score);
  compare_cmd->add_option("--from", compare.from,
                          "Render this saved `--format json` result in --format; run nothing");
  compare_cmd->add_flag("!--no-fork", compare.fork, "Run in this process (for debuggers)");
  compare_cmd->add_flag("--quiet", compare.quiet, "No progress bar");
  compare_cmd->add_flag("--progress", compare.progress,
                        "Progress lines even when stderr is not a terminal");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }

  try {
    load_plugins(plugins);
    const auto timeout = std::chrono::milliseconds(static_cast<long long>(exec_timeout * 1000));
    for (const std::string& e : execs) declare_exec(parse_exec_option(e, timeout));
  } catch (const PluginError& e) {
    std::cerr << "gcfuzz: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const ExternalError& e) {
    std::cerr << "gcfuzz: " << e.what() << "\n";
    return kExitBadInput;
  }

  try {
    if (*list_cmd) return list_command(list);
    if (*replay_cmd) return replay_command(replay);
    if (*run_cmd) return run_command(run);
    if (*minimize_cmd) return minimize_command(minimize);
    if (*corpus_cmd) {
      corpus.action = *merge_cmd ? "merge" : "regression";
      return corpus_command(corpus);
    }
    if (*model_cmd) return model_command(model);
    if (*show_cmd) return show_command(show);
    if (*selftest_cmd) return selftest_command(selftest);
    if (*compare_cmd) {
      compare.command_line = "gcfuzz";
      for (int i = 1; i < argc; ++i) compare.command_line += std::string(" ") + argv[i];
      return compare_command(compare);
    }
  } catch (const std::exception& e) {
    std::cerr << "gcfuzz: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
  return kExitBadInput;
}
