// `gcfuzz compare`: the named workloads through the chosen collectors, reported as Markdown,
// CSV, JSON (docs/compare-json.md) or a self-contained HTML page with charts.
#include <fnmatch.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "harness/campaigns/campaign.h"
#include "harness/campaigns/compare.h"
#include "harness/campaigns/selftest.h"
#include "harness/commands/cli_support.h"
#include "harness/commands/commands.h"
#include "harness/commands/save.h"
#include "harness/report/html_report.h"
#include "harness/report/report.h"

namespace gcfuzz {

namespace {

// ---- Building the workloads ----

std::optional<Workload> corpus_workload(const std::string& root) {
  const auto files = expand_trace_paths({root});
  if (!files) return std::nullopt;
  Workload w{.name = "corpus", .kind = WorkloadKind::corpus};
  w.description = fmt::format("every trace under {}/: the regression corpus", root);
  for (const auto& file : *files) {
    std::optional<ParsedTrace> parsed = load_or_report(file);
    if (!parsed) return std::nullopt;
    w.traces.push_back(std::move(parsed->trace));
  }
  return w;
}

Workload random_workload(const CompareCommandOptions& o) {
  Workload w{.name = "random", .kind = WorkloadKind::random};
  w.description =
      fmt::format("{} random traces of up to {} ops, seed {} (as gcfuzz run makes them)", o.traces,
                  o.ops, o.seed);
  for (std::size_t i = 0; i < o.traces; ++i) {
    w.traces.push_back(campaign_trace(o.seed, i, o.ops).value());
  }
  return w;
}

Workload synthetic_workload(Shape shape, std::size_t objects, std::uint64_t seed) {
  Workload w{.name = synthetic_name(shape, objects),
             .kind = WorkloadKind::synthetic,
             .shape = shape,
             .objects = objects};
  w.description = fmt::format("{} objects: {}", objects, describe(shape));
  w.traces.push_back(synthetic_trace(shape, objects, seed));
  return w;
}

// The names the patterns select, in the order of known_workload_names() and then as given.
std::optional<std::vector<std::string>> select_workloads(const std::vector<std::string>& patterns) {
  if (patterns.empty()) return default_workload_names();
  std::vector<std::string> chosen;
  auto add = [&](const std::string& name) {
    if (std::find(chosen.begin(), chosen.end(), name) == chosen.end()) chosen.push_back(name);
  };
  for (const std::string& pattern : patterns) {
    bool matched = false;
    for (const std::string& name : known_workload_names()) {
      if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) {
        add(name);
        matched = true;
      }
    }
    if (!matched && parse_synthetic_name(pattern)) {
      add(pattern);
      matched = true;
    }
    if (!matched) {
      std::cerr << fmt::format(
          "gcfuzz: no workload matches '{}' (gcfuzz compare --list-workloads shows them; a "
          "synthetic heap of any size is <shape>-<size>, as in tree-20k)\n",
          pattern);
      return std::nullopt;
    }
  }
  return chosen;
}

// ---- Formatting ----

std::string si(double v) {
  if (v >= 1e9) return fmt::format("{:.3g}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.3g}k", v / 1e3);
  return fmt::format("{:.3g}", v);
}

std::string bytes(const nlohmann::json& v) {
  if (!v.is_number()) return "-";
  const double b = v.get<double>();
  if (b >= 1 << 30) return fmt::format("{:.3g} GiB", b / (1 << 30));
  if (b >= 1 << 20) return fmt::format("{:.3g} MiB", b / (1 << 20));
  if (b >= 1 << 10) return fmt::format("{:.3g} KiB", b / (1 << 10));
  return fmt::format("{:.0f} B", b);
}

// Three significant digits, never in exponent form.
std::string number(const nlohmann::json& v, const char* spec = nullptr) {
  if (!v.is_number()) return "-";
  const double x = v.get<double>();
  if (spec != nullptr) return fmt::format(fmt::runtime(spec), x);
  if (x == 0) return "0";
  const int digits = std::max(0, 2 - static_cast<int>(std::floor(std::log10(std::abs(x)))));
  return fmt::format("{:.{}f}", x, digits);
}

std::string failure_text(const nlohmann::json& f) {
  if (f.is_null()) return "-";
  if (f.at("trace").is_null())
    return fmt::format("{}: {}", f.at("workload").get<std::string>(),
                       f.at("check").get<std::string>());
  return fmt::format("{} #{} op {}: {}", f.at("workload").get<std::string>(),
                     f.at("trace").get<std::size_t>(), f.at("op").get<std::size_t>(),
                     f.at("check").get<std::string>());
}

std::string md_row(const std::vector<std::string>& cells) {
  std::string row = "|";
  for (std::string cell : cells) {
    std::string escaped;
    for (char c : cell) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
    row += " " + escaped + " |";
  }
  return row + "\n";
}

std::string markdown(const nlohmann::json& r) {
  std::string out;
  out += md_row({"collector", "traces", "divergent", "first failure", "freed", "retained",
                 "finalized", "garbage", "weak cleared", "time (s)", "ops/s", "full GC (ms)",
                 "pause p50 / p99 / max (ms)", "peak heap", "bytes/object"});
  out += md_row(std::vector<std::string>(15, "---"));
  for (const nlohmann::json& c : r.at("collectors")) {
    const auto& a = c.at("agreement");
    const auto& e = c.at("events");
    const auto& cost = c.at("cost");
    const auto& p = cost.at("pauses");
    std::string divergent = std::to_string(a.at("divergent").get<std::size_t>());
    if (const auto failed = a.at("failed_workloads").get<std::size_t>(); failed != 0) {
      divergent += fmt::format(" (+{} failed)", failed);
    }
    out += md_row(
        {c.at("name").get<std::string>(), std::to_string(a.at("traces").get<std::size_t>()),
         divergent, failure_text(a.at("first_failure")), si(e.at("freed").get<double>()),
         std::to_string(e.at("retained").get<std::size_t>()), si(e.at("finalized").get<double>()),
         si(e.at("garbage").get<double>()), si(e.at("cleared").get<double>()),
         number(cost.at("seconds"), "{:.2f}"),
         cost.at("ops_per_second").is_number() ? si(cost.at("ops_per_second").get<double>()) : "-",
         number(cost.at("full_collection_ms")),
         fmt::format("{} / {} / {}", number(p.at("p50_ms")), number(p.at("p99_ms")),
                     number(p.at("max_ms"))),
         bytes(cost.at("peak_heap_bytes")), number(cost.at("bytes_per_object"), "{:.0f}")});
  }

  // Full collections of live synthetic heaps, by workload: the data of the log-log chart.
  std::vector<std::string> synthetic;
  for (const nlohmann::json& w : r.at("workloads")) {
    if (w.at("kind") == "synthetic") synthetic.push_back(w.at("name"));
  }
  if (!synthetic.empty()) {
    out += "\nFull collection of the live heap (ms), by workload:\n\n";
    std::vector<std::string> header = {"collector"};
    header.insert(header.end(), synthetic.begin(), synthetic.end());
    out += md_row(header);
    std::vector<std::string> rule(header.size(), "---:");
    rule.front() = "---";
    out += md_row(rule);
    for (const nlohmann::json& c : r.at("collectors")) {
      std::vector<std::string> row = {c.at("name")};
      for (const nlohmann::json& e : c.at("workloads")) {
        const std::string name = e.at("workload");
        if (std::find(synthetic.begin(), synthetic.end(), name) == synthetic.end()) continue;
        row.push_back(e.at("status") == "ok" || e.at("status") == "diverged"
                          ? number(e.at("full_collection_ms"))
                          : e.at("status").get<std::string>());
      }
      out += md_row(row);
    }
  }

  out += "\nWorkloads:\n\n";
  out += md_row({"workload", "traces", "ops", "what"});
  out += md_row({"---", "---:", "---:", "---"});
  for (const nlohmann::json& w : r.at("workloads")) {
    std::string what = w.at("description");
    if (w.at("checked") == false) what += " (timed only: not checked against the model)";
    out += md_row({w.at("name"), std::to_string(w.at("traces").get<std::size_t>()),
                   si(w.at("ops").get<double>()), what});
  }
  out += fmt::format(
      "\nBuild: {}. Times are the collector's own calls (the model and the checks excluded); a "
      "pause is one `collect`; full GC is the first full `collect` of the {} heap, its "
      "variables still holding it; peak heap is the largest growth of the resident set over a "
      "synthetic heap, and bytes/object divides it by the objects allocated.\n",
      r.at("build").get<std::string>(),
      r.at("collectors").empty() ||
              r.at("collectors")[0].at("cost").at("full_collection_workload").is_null()
          ? std::string("largest graph")
          : r.at("collectors")[0].at("cost").at("full_collection_workload").get<std::string>());
  return out;
}

std::string csv_field(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string quoted = "\"";
    for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  }
  return v.dump();
}

// One row per collector and workload (long format, for a spreadsheet or pandas).
std::string csv(const nlohmann::json& r) {
  std::string out =
      "collector,workload,status,traces,divergent,ops,seconds,freed,retained,finalized,garbage,"
      "cleared,callbacks,pauses,pause_p50_ms,pause_p99_ms,pause_max_ms,full_collection_ms,"
      "reclaim_ms,peak_heap_bytes,bytes_per_object,reason\n";
  for (const nlohmann::json& c : r.at("collectors")) {
    for (const nlohmann::json& e : c.at("workloads")) {
      const auto& ev = e.at("events");
      const auto& p = e.at("pauses");
      const std::vector<nlohmann::json> fields = {
          c.at("name"),       e.at("workload"),        e.at("status"),
          e.at("traces"),     e.at("divergent"),       e.at("ops"),
          e.at("seconds"),    ev.at("freed"),          ev.at("retained"),
          ev.at("finalized"), ev.at("garbage"),        ev.at("cleared"),
          ev.at("callbacks"), p.at("count"),           p.at("p50_ms"),
          p.at("p99_ms"),     p.at("max_ms"),          e.at("full_collection_ms"),
          e.at("reclaim_ms"), e.at("peak_heap_bytes"), e.at("bytes_per_object"),
          e.at("reason")};
      for (std::size_t i = 0; i < fields.size(); ++i) {
        out += (i ? "," : "") + csv_field(fields[i]);
      }
      out += "\n";
    }
  }
  return out;
}

std::string progress_bar(const CompareProgress& p) {
  constexpr int kWidth = 24;
  const double within = p.of_ops ? std::min(1.0, double(p.ops) / double(p.of_ops)) : 0.0;
  const double fraction = p.total ? (double(p.done) + within) / double(p.total) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  return fmt::format("[{}{}] {:3.0f}%  {}/{}  {} {}  {:.0f}s", std::string(filled, '#'),
                     std::string(kWidth - filled, '.'), fraction * 100, p.done, p.total,
                     p.collector, p.workload, p.seconds);
}

// Prints or writes the report; the exit code says whether every collector agreed.
int write_report(const nlohmann::json& result, const CompareCommandOptions& options) {
  std::string text;
  if (options.format == "md") text = markdown(result);
  if (options.format == "csv") text = csv(result);
  if (options.format == "json") text = result.dump(2) + "\n";
  if (options.format == "html") text = render_html_report(result);
  if (options.output) {
    write_atomically(*options.output, text);
  } else {
    std::cout << text << std::flush;
  }
  bool agree = true;
  for (const nlohmann::json& c : result.at("collectors")) {
    const auto& a = c.at("agreement");
    if (a.at("divergent") != 0 || a.at("failed_workloads") != 0) agree = false;
  }
  std::cerr << fmt::format("SUMMARY: gcfuzz compare: {} x {} in {:.1f} s: {}\n",
                           count_of(result.at("collectors").size(), "collector"),
                           count_of(result.at("workloads").size(), "workload"),
                           result.at("seconds").get<double>(),
                           agree ? "all agree" : "divergences (see the first-failure column)");
  return agree ? kExitAgree : kExitDivergence;
}

// A saved result, checked enough that rendering it cannot fail halfway.
std::optional<nlohmann::json> load_result(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << fmt::format("{}:0:0: cannot read the file\n", path);
    return std::nullopt;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    std::cerr << fmt::format("{}:1:{}: not JSON: {}\n", path, e.byte, e.what());
    return std::nullopt;
  }
  if (!j.is_object() || j.value("schema", "") != "gcfuzz-compare/1") {
    std::cerr << fmt::format(
        "{}:1:1: not a gcfuzz-compare/1 result (gcfuzz compare --format json)\n", path);
    return std::nullopt;
  }
  return j;
}

}  // namespace

int compare_command(const CompareCommandOptions& options) {
  if (options.from) {
    std::optional<nlohmann::json> saved = load_result(*options.from);
    if (!saved) return kExitBadInput;
    try {
      return write_report(*saved, options);
    } catch (const nlohmann::json::exception& e) {
      std::cerr << fmt::format(
          "{}:1:1: a gcfuzz-compare/1 result with missing or wrong fields: {}\n", *options.from,
          e.what());
      return kExitBadInput;
    }
  }
  if (options.list_workloads) {
    std::cout << "corpus      every trace under the corpus folder (--corpus)\n"
                 "random      random traces as gcfuzz run makes them (--traces, --ops, --seed)\n";
    for (std::size_t s = 0; s < kShapeNames.size(); ++s) {
      std::cout << fmt::format("{:<11} {}\n", fmt::format("{}-N", kShapeNames[s]),
                               describe(static_cast<Shape>(s)));
    }
    std::cout << "\nN: a number of objects, with k or M (list-1k, tree-20k, graph-1M).\nknown:";
    for (const std::string& name : known_workload_names()) std::cout << " " << name;
    std::cout << "\ndefault:";
    for (const std::string& name : default_workload_names()) std::cout << " " << name;
    std::cout << "\n";
    return kExitAgree;
  }
  static constexpr std::array<std::string_view, 4> kFormats = {"md", "csv", "json", "html"};
  if (std::find(kFormats.begin(), kFormats.end(), options.format) == kFormats.end()) {
    std::cerr << fmt::format("gcfuzz: unknown format '{}' (md, csv, json, html)\n", options.format);
    return kExitBadInput;
  }
  const auto collectors = collectors_or_report(options.collectors);
  if (!collectors) return kExitBadInput;
  const auto names = select_workloads(options.workloads);
  if (!names) return kExitBadInput;

  const auto start = std::chrono::steady_clock::now();
  std::vector<Workload> workloads;
  for (const std::string& name : *names) {
    if (name == "corpus") {
      std::optional<Workload> w = corpus_workload(options.corpus);
      if (!w) return kExitBadInput;
      workloads.push_back(std::move(*w));
    } else if (name == "random") {
      workloads.push_back(random_workload(options));
    } else {
      const auto [shape, objects] = *parse_synthetic_name(name);
      workloads.push_back(synthetic_workload(shape, objects, options.seed));
      workloads.back().checked = objects <= options.check_up_to;
    }
  }

  const bool tty = ::isatty(STDERR_FILENO);
  const bool show_progress = !options.quiet && (tty || options.progress);
  CompareOptions run;
  run.fork = options.fork;
  run.quiet_limit =
      std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000));
  double last = -1;
  std::size_t last_done = 0;
  if (show_progress) {
    run.on_progress = [&](const CompareProgress& p) {
      if (tty) {
        if (p.seconds - last < 0.2 && p.done == last_done) return;
        std::cerr << "\r\033[K" << progress_bar(p) << std::flush;
      } else {
        if (p.done == last_done && p.seconds - last < 10) return;
        std::cerr << progress_bar(p) << "\n";
      }
      last = p.seconds;
      last_done = p.done;
    };
  }
  nlohmann::json result = run_comparison(*collectors, workloads, run);
  if (show_progress && tty) std::cerr << "\r\033[K" << std::flush;
  // Spec coverage, per workload the model checks (a workload only timed applies no rule).
  if (options.coverage || options.coverage_json) {
    nlohmann::json& by_workload = result["coverage"] = nlohmann::json::object();
    SpecCoverage all;
    for (const Workload& w : workloads) {
      if (!w.checked) continue;
      SpecCoverage covered;
      for (const Trace& t : w.traces) covered.add_trace(t, *collectors);
      std::cerr << fmt::format("workload {}:\n", w.name) << covered.format_text();
      by_workload[w.name] = covered.to_json();
      all.merge(covered);
    }
    std::cerr << "all workloads:\n";
    if (!report_coverage(all, std::cerr, options.coverage_json)) return kExitBadInput;
  }
  // The traces are done with; a large heap's (4M ops) would otherwise make every fork of the
  // mutation score copy its page tables.
  std::vector<Workload>().swap(workloads);

  const bool score =
      options.with_mutation_score || (options.format == "html" && !options.without_mutation_score);
  result["mutation_score"] = nullptr;
  if (score) {
    if (show_progress) std::cerr << "gcfuzz compare: mutation score (gcfuzz selftest)\n";
    SelftestOptions selftest;
    selftest.fork = options.fork;
    for (const CollectorInfo* c : *collectors) {
      selftest.mutants.push_back(std::string(c->name) + "~*");
    }
    selftest.suite = options.corpus + "/cpython";
    result["mutation_score"] = mutation_score(selftest, /*log=*/nullptr);
  }
  result["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result["command"] = options.command_line;

  return write_report(result, options);
}

}  // namespace gcfuzz
