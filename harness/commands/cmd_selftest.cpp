// `gcfuzz selftest`: every known-buggy mutant must be caught by a random campaign under a
// fixed seed budget, and the trace that catches it must pass on the collector it mutates.
// Also the mutation score per collector and driver (--format md|json).
#include <iostream>

#include <fmt/format.h>

#include "harness/campaigns/selftest.h"
#include "harness/commands/commands.h"
#include "harness/report/report.h"

namespace gcfuzz {

namespace {

std::string seconds_or_dash(const nlohmann::json& v) {
  return v.is_number() ? fmt::format("{:.2f}s", v.get<double>()) : "-";
}

std::string count_or_dash(const nlohmann::json& v) {
  return v.is_number() ? fmt::format("{:g}", v.get<double>()) : "-";
}

// The text table of `gcfuzz selftest`, one row per mutant, and what went wrong.
void print_text(const nlohmann::json& score) {
  const bool suite = !score["suite"].is_null();
  const bool fuzzer = std::find(score["drivers"].begin(), score["drivers"].end(), "libfuzzer") !=
                      score["drivers"].end();
  std::vector<std::vector<std::string>> rows = {
      {"MUTANT", "CAUGHT", "CHECK", "TRACES", "TIME", "SHRUNK OPS"}};
  if (suite) rows.front().push_back("SUITE");
  if (fuzzer) rows.front().push_back("LIBFUZZER");
  std::vector<std::string> problems;
  for (const nlohmann::json& m : score["mutants"]) {
    const nlohmann::json& rc = m["rapidcheck"];
    const std::string name = m["name"];
    const bool found = rc["check"].is_string();
    rows.push_back({name, rc["caught"] == true ? "yes" : "NO",
                    found ? rc["check"].get<std::string>() : "-",
                    std::to_string(rc["traces"].get<std::size_t>()), seconds_or_dash(rc["seconds"]),
                    count_or_dash(rc["shrunk_ops"])});
    if (suite) rows.back().push_back(m["corpus_cpython"]["caught"] == true ? "yes" : "no");
    if (fuzzer) {
      const nlohmann::json& lf = m["libfuzzer"];
      rows.back().push_back(lf["caught"] == true       ? seconds_or_dash(lf["seconds"])
                            : lf["available"] == false ? std::string("not built")
                                                       : std::string("no"));
    }
    if (!found) {
      problems.push_back(fmt::format("{} was not caught in {} traces ({:.1f} s): {}", name,
                                     rc["traces"].get<std::size_t>(), rc["seconds"].get<double>(),
                                     m["summary"].get<std::string>()));
    } else if (rc.contains("problem")) {
      problems.push_back(fmt::format("{}: {}", name, rc["problem"].get<std::string>()));
    }
  }
  std::cout << "\n" << format_table(rows);
  for (const std::string& p : problems) std::cout << "\n" << p << "\n";
}

// The mutation score per collector and driver, as Markdown.
std::string markdown(const nlohmann::json& score) {
  const bool fuzzer = std::find(score["drivers"].begin(), score["drivers"].end(), "libfuzzer") !=
                      score["drivers"].end();
  const bool suite = !score["suite"].is_null();
  std::string out = "| collector | mutants | RapidCheck caught | median time | median shrunk ops |";
  std::string rule = "| --- | ---: | ---: | ---: | ---: |";
  if (suite) {
    out += fmt::format(" {} caught |", score["suite"].get<std::string>());
    rule += " ---: |";
  }
  if (fuzzer) {
    out += " libFuzzer caught | median time | median shrunk ops |";
    rule += " ---: | ---: | ---: |";
  }
  out += "\n" + rule + "\n";
  std::size_t total = 0, by_rc = 0, by_suite = 0, by_fuzzer = 0, fuzzer_missing = 0;
  for (const nlohmann::json& c : score["collectors"]) {
    const std::size_t n = c["mutants"];
    total += n;
    by_rc += c["rapidcheck"]["caught"].get<std::size_t>();
    out += fmt::format("| {} | {} | {}/{} | {} | {} |", c["name"].get<std::string>(), n,
                       c["rapidcheck"]["caught"].get<std::size_t>(), n,
                       seconds_or_dash(c["rapidcheck"]["median_seconds"]),
                       count_or_dash(c["rapidcheck"]["median_shrunk_ops"]));
    if (suite) {
      by_suite += c["corpus_cpython"]["caught"].get<std::size_t>();
      out += fmt::format(" {}/{} |", c["corpus_cpython"]["caught"].get<std::size_t>(), n);
    }
    if (fuzzer) {
      const std::size_t missing = c["libfuzzer"]["unavailable"];
      by_fuzzer += c["libfuzzer"]["caught"].get<std::size_t>();
      fuzzer_missing += missing;
      out += fmt::format(" {}/{}{} | {} | {} |", c["libfuzzer"]["caught"].get<std::size_t>(),
                         n - missing, missing ? fmt::format(" ({} not built)", missing) : "",
                         seconds_or_dash(c["libfuzzer"]["median_seconds"]),
                         count_or_dash(c["libfuzzer"]["median_shrunk_ops"]));
    }
    out += "\n";
  }
  out += fmt::format("| **all** | {} | {}/{} | | |", total, by_rc, total);
  if (suite) out += fmt::format(" {}/{} |", by_suite, total);
  if (fuzzer) {
    out += fmt::format(" {}/{}{} | | |", by_fuzzer, total - fuzzer_missing,
                       fuzzer_missing ? fmt::format(" ({} not built)", fuzzer_missing) : "");
  }
  return out + "\n";
}

}  // namespace

int selftest_command(const SelftestOptions& options) {
  if (options.format != "text" && options.format != "md" && options.format != "json") {
    std::cerr << fmt::format("gcfuzz: unknown format '{}' (text, md, json)\n", options.format);
    return kExitBadInput;
  }
  const bool text = options.format == "text";
  std::ostream& log = text ? std::cout : std::cerr;
  nlohmann::json score;
  try {
    log << fmt::format("gcfuzz selftest: seed {}, budget {} traces or {} s per mutant\n",
                       options.seed, options.traces, options.time_seconds)
        << std::flush;
    score = mutation_score(options, &log);
  } catch (const std::invalid_argument& e) {
    std::cerr << "gcfuzz: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (text) print_text(score);
  if (options.format == "md") std::cout << markdown(score);
  if (options.format == "json") std::cout << score.dump(2) << "\n";
  const std::size_t caught = score["caught"], total = score["total"];
  log << fmt::format("SUMMARY: gcfuzz selftest: {}/{} mutants caught\n", caught, total);
  return caught == total ? kExitAgree : kExitDivergence;
}

}  // namespace gcfuzz
