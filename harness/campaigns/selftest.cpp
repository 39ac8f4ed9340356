// The mutation score: every selected mutant against every driver.
#include "harness/campaigns/selftest.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "collectors/registry.h"
#include "harness/campaigns/campaign.h"
#include "harness/engine/divergence.h"
#include "harness/engine/selection.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/report.h"
#include "harness/trace/minimizer.h"
#include "harness/trace/text.h"

namespace gcfuzz {

namespace {

namespace fs = std::filesystem;

struct SuiteTrace {
  std::string file;
  Trace trace;
};

std::vector<SuiteTrace> load_suite(const std::string& folder) {
  std::vector<SuiteTrace> suite;
  if (folder.empty() || !fs::is_directory(folder)) return suite;
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file() && entry.path().extension() == ".gct")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    ParseResult r = load_trace(file);
    if (!r.parsed) throw std::invalid_argument(r.error->to_string());
    suite.push_back({file.string(), std::move(r.parsed->trace)});
  }
  return suite;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The libFuzzer driver: the differential fuzz target on this mutant alone, from an empty
// corpus; caught when it leaves a crash artifact (which is then minimized here).
nlohmann::json run_libfuzzer(const SelftestOptions& options, const CollectorInfo& mutant,
                             const Isolation& isolation) {
  const fs::path work =
      fs::temp_directory_path() / fmt::format("gcfuzz-selftest-{}-{:x}", ::getpid(),
                                              std::hash<std::string_view>{}(mutant.name));
  fs::remove_all(work);
  fs::create_directories(work / "corpus");
  const fs::path dict = fs::path(options.libfuzzer).parent_path() / "gct.dict";
  std::vector<std::string> args = {
      options.libfuzzer,
      fmt::format("-seed={}", options.seed),
      fmt::format("-max_total_time={}", static_cast<long long>(options.libfuzzer_seconds)),
      "-max_len=8192"  // as the target's .options file says,
      "-timeout=25",
      fmt::format("-artifact_prefix={}/", work.string()),
      "-print_final_stats=0",
  };
  if (fs::exists(dict)) args.push_back("-dict=" + dict.string());
  args.push_back((work / "corpus").string());

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::setenv("GCFUZZ_COLLECTORS", std::string(mutant.name).c_str(), 1);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = (work / "libfuzzer.log").string();
    if (FILE* f = std::freopen(log.c_str(), "w", stderr)) (void)f;
    if (FILE* f = std::freopen("/dev/null", "w", stdout)) (void)f;
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  nlohmann::json j = {
      {"caught", false}, {"available", true}, {"seconds", nullptr}, {"shrunk_ops", nullptr}};
  // A fuzz build without this collector (the fuzz preset leaves Boehm out) refuses to start.
  {
    std::ifstream in(work / "libfuzzer.log");
    for (std::string line; std::getline(in, line);) {
      if (line.find("no collector matches") != std::string::npos) {
        j["available"] = false;
        j["reason"] = line;
      }
    }
  }
  for (const auto& entry : fs::directory_iterator(work)) {
    if (!entry.path().filename().string().starts_with("crash-")) continue;
    j["caught"] = true;
    j["seconds"] = seconds;
    // Minimized as `gcfuzz minimize` would: while the same check fails on the mutant.
    if (ParseResult r = load_trace(entry.path()); r.parsed) {
      const LaneResult first = run_lane(r.parsed->trace, mutant, isolation);
      if (first.divergence) {
        const Check check = first.divergence->check;
        LaneServer lanes(mutant, isolation, {}, !depends_on_history(*first.divergence));
        auto fails = [&](const Trace& t) {
          const LaneResult lane = lanes.run(t);
          return lane.divergence && lane.divergence->check == check;
        };
        j["shrunk_ops"] = minimize(r.parsed->trace, fails, 2000).trace.ops.size();
      }
    }
    break;
  }
  fs::remove_all(work);
  return j;
}

}  // namespace

nlohmann::json mutation_score(const SelftestOptions& options, std::ostream* log) {
  std::vector<std::string> patterns = options.mutants;
  if (patterns.empty()) patterns.push_back("*~*");
  const Selection selection = select_collectors(patterns, /*include_mutants=*/true);
  if (!selection.error.empty()) throw std::invalid_argument(selection.error);
  std::vector<const CollectorInfo*> mutants;
  for (const CollectorInfo* c : selection.collectors) {
    if (c->is_mutant()) mutants.push_back(c);
  }
  if (mutants.empty()) throw std::invalid_argument("no mutant selected");
  if (!options.libfuzzer.empty() && ::access(options.libfuzzer.c_str(), X_OK) != 0) {
    throw std::invalid_argument(fmt::format(
        "{}: no fuzz target there (build it with the fuzz preset: make fuzz)", options.libfuzzer));
  }
  const std::vector<SuiteTrace> suite = load_suite(options.suite);

  CampaignOptions campaign;
  campaign.seed = options.seed;
  campaign.max_traces = options.traces;
  campaign.heap = heap_shape_from_name(options.heap).value_or(HeapShape::mixed);
  campaign.time_limit =
      std::chrono::milliseconds(static_cast<long long>(options.time_seconds * 1000));
  campaign.isolation.fork = options.fork;

  std::vector<std::string> drivers = {"rapidcheck"};
  if (!suite.empty()) drivers.push_back("corpus/cpython");
  if (!options.libfuzzer.empty()) drivers.push_back("libfuzzer");
  nlohmann::json out = {
      {"schema", "gcfuzz-selftest/1"},
      {"seed", options.seed},
      {"budget", {{"traces", options.traces}, {"seconds", options.time_seconds}}},
      {"suite", suite.empty() ? nlohmann::json(nullptr) : nlohmann::json(options.suite)},
      {"drivers", drivers}};
  nlohmann::json& rows = out["mutants"] = nlohmann::json::array();
  std::size_t caught = 0;
  for (const CollectorInfo* mutant : mutants) {
    const CollectorInfo* original = find_collector(mutant->mutant_of);
    nlohmann::json row = {
        {"name", mutant->name}, {"collector", mutant->mutant_of}, {"summary", mutant->summary}};

    // RapidCheck: a campaign; the shrunk trace must pass on the collector it mutates (a
    // checker that failed everything would otherwise "catch" every mutant).
    const CollectorInfo* const one[] = {mutant};
    const CampaignResult result = run_campaign(one, campaign);
    const CollectorTally& tally = result.tallies.front();
    nlohmann::json rc = {{"caught", false},        {"seconds", result.seconds},
                         {"traces", tally.traces}, {"shrunk_ops", nullptr},
                         {"check", nullptr},       {"distinguishes", nullptr}};
    if (tally.finding) {
      const Finding& f = *tally.finding;
      const LaneResult check = run_lane(f.shrunk, *original, campaign.isolation);
      rc["distinguishes"] = !check.divergence;
      rc["caught"] = !check.divergence;
      rc["seconds"] = f.seconds_to_catch;
      rc["traces"] = f.trace_index + 1;
      rc["shrunk_ops"] = f.shrunk.ops.size();
      rc["check"] = name_of(f.divergence.check);
      if (check.divergence) {
        rc["problem"] =
            fmt::format("the trace that caught it fails on {} too:\n{}\n{}", original->name,
                        format_divergence(*check.divergence, f.shrunk), print_trace(f.shrunk));
      }
    }
    if (rc["caught"] == true) ++caught;
    row["rapidcheck"] = rc;

    // The fixed suite: caught when a trace diverges on the mutant and not on the original.
    if (!suite.empty()) {
      nlohmann::json by_suite = {{"caught", false}, {"trace", nullptr}};
      LaneServer on_mutant(*mutant, campaign.isolation);
      LaneServer on_original(*original, campaign.isolation);
      for (const SuiteTrace& s : suite) {
        if (on_mutant.run(s.trace).divergence && !on_original.run(s.trace).divergence) {
          by_suite = {{"caught", true}, {"trace", s.file}};
          break;
        }
      }
      row["corpus_cpython"] = by_suite;
    } else {
      row["corpus_cpython"] = nullptr;
    }

    row["libfuzzer"] = options.libfuzzer.empty()
                           ? nlohmann::json(nullptr)
                           : run_libfuzzer(options, *mutant, campaign.isolation);
    if (log) {
      *log << fmt::format(
          "{}: {}", mutant->name,
          rc["caught"] == true
              ? fmt::format("caught by trace {} in {:.2f} s ({}), shrunk to {} ops",
                            rc["traces"].get<std::size_t>(), rc["seconds"].get<double>(),
                            rc["check"].get<std::string>(), rc["shrunk_ops"].get<std::size_t>())
              : std::string("not caught"));
      if (row["corpus_cpython"].is_object()) {
        *log << (row["corpus_cpython"]["caught"] == true ? "; the suite catches it"
                                                         : "; the suite misses it");
      }
      if (row["libfuzzer"].is_object()) {
        const nlohmann::json& lf = row["libfuzzer"];
        *log << (lf["caught"] == true
                     ? fmt::format("; libFuzzer in {:.1f} s", lf["seconds"].get<double>())
                 : lf["available"] == false ? std::string("; not in the libFuzzer build")
                                            : std::string("; libFuzzer missed it"));
      }
      *log << "\n" << std::flush;
    }
    rows.push_back(std::move(row));
  }

  // Grouped by the collector each mutates, in registry order.
  nlohmann::json& groups = out["collectors"] = nlohmann::json::array();
  for (const CollectorInfo& info : registry()) {
    if (info.is_mutant()) continue;
    std::vector<const nlohmann::json*> of;
    for (const nlohmann::json& r : rows) {
      if (r["collector"] == info.name) of.push_back(&r);
    }
    if (of.empty()) continue;
    auto driver_summary = [&](const char* key) -> nlohmann::json {
      if (!of.front()->at(key).is_object()) return nullptr;
      std::size_t n = 0, unavailable = 0;
      std::vector<double> seconds, shrunk;
      for (const nlohmann::json* r : of) {
        const nlohmann::json& d = r->at(key);
        if (d.value("available", true) == false) ++unavailable;
        if (d["caught"] != true) continue;
        ++n;
        if (d.contains("seconds") && d["seconds"].is_number()) seconds.push_back(d["seconds"]);
        if (d.contains("shrunk_ops") && d["shrunk_ops"].is_number())
          shrunk.push_back(d["shrunk_ops"]);
      }
      nlohmann::json j = {{"caught", n}};
      if (std::string_view(key) == "libfuzzer") j["unavailable"] = unavailable;
      if (std::string_view(key) != "corpus_cpython") {
        j["median_seconds"] =
            seconds.empty() ? nlohmann::json(nullptr) : nlohmann::json(median(seconds));
        j["median_shrunk_ops"] =
            shrunk.empty() ? nlohmann::json(nullptr) : nlohmann::json(median(shrunk));
      }
      return j;
    };
    groups.push_back({{"name", info.name},
                      {"mutants", of.size()},
                      {"rapidcheck", driver_summary("rapidcheck")},
                      {"corpus_cpython", driver_summary("corpus_cpython")},
                      {"libfuzzer", driver_summary("libfuzzer")}});
  }
  out["caught"] = caught;
  out["total"] = mutants.size();
  return out;
}

}  // namespace gcfuzz
