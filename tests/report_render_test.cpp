// The HTML report of `gcfuzz compare`: every chart drawn, text from the JSON escaped, nothing
// fetched or run when it is viewed, and nulls or missing keys tolerated.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/report/html_report.h"

namespace gcfuzz {
namespace {

using nlohmann::json;

// Three collectors: one diverged on `random`, one crashed on graph-1m, one (the real libgc)
// with every cost null; and a mutation score.
json sample_compare() {
  return json::parse(R"json({
  "schema": "gcfuzz-compare/1", "command": "gcfuzz compare --format json",
  "build": "AddressSanitizer+UBSan, -O1", "cores": 2, "seconds": 171.2,
  "workloads": [
    {"name": "corpus", "kind": "corpus", "description": "every trace in corpus/", "traces": 212, "ops": 40213},
    {"name": "random", "kind": "random", "description": "generated <traces> & more", "traces": 1000, "ops": 166747},
    {"name": "graph-1k", "kind": "synthetic", "shape": "graph", "objects": 1000, "description": "a graph", "traces": 1, "ops": 3004},
    {"name": "graph-100k", "kind": "synthetic", "shape": "graph", "objects": 100000, "description": "a graph", "traces": 1, "ops": 300004},
    {"name": "graph-1m", "kind": "synthetic", "shape": "graph", "objects": 1000000, "description": "a graph", "traces": 1, "ops": 3000004}
  ],
  "collectors": [
    {"name": "mark-sweep:java", "summary": "marks <then> sweeps",
     "agreement": {"traces": 1214, "divergent": 0, "failed_workloads": 1,
                   "first_failure": {"workload": "graph-1m", "trace": 0, "op": 12, "check": "crash", "detail": "SIGSEGV in sweep<>"}},
     "events": {"freed": 1234567, "retained": 0, "finalized": 45, "garbage": 6, "cleared": 7, "callbacks": 3},
     "cost": {"seconds": 12.5, "mutator_ops": 1234567, "ops_per_second": 987654.0,
              "pauses": {"count": 812, "p50_ms": 0.01, "p99_ms": 3.2, "max_ms": 47.0},
              "full_collection_ms": 47.0, "peak_heap_bytes": 123456789, "bytes_per_object": 96.0},
     "workloads": [
       {"workload": "corpus", "status": "ok", "reason": "", "traces": 212, "divergent": 0, "ops": 40213, "seconds": 0.2, "full_collection_ms": null},
       {"workload": "random", "status": "ok", "reason": "", "traces": 1000, "divergent": 0, "ops": 166747, "seconds": 1.1, "full_collection_ms": null},
       {"workload": "graph-1k", "status": "ok", "reason": "", "traces": 1, "divergent": 0, "ops": 3004, "seconds": 0.01, "full_collection_ms": 0.08},
       {"workload": "graph-100k", "status": "ok", "reason": "", "traces": 1, "divergent": 0, "ops": 300004, "seconds": 0.3, "full_collection_ms": 4.0},
       {"workload": "graph-1m", "status": "crashed", "reason": "SIGSEGV <in> sweep", "traces": 1, "divergent": 0, "ops": 3000004, "seconds": null, "full_collection_ms": null}
     ]},
    {"name": "refcount:pep442~weird<name>", "summary": "reference counting",
     "agreement": {"traces": 1214, "divergent": 1, "failed_workloads": 0,
                   "first_failure": {"workload": "random", "trace": 17, "op": 5, "check": "refcount", "detail": "a (@0) has 1 references & <2>"}},
     "events": {"freed": 2000, "retained": 0, "finalized": 0, "garbage": 0, "cleared": 0, "callbacks": 0},
     "cost": {"seconds": 3.0, "mutator_ops": 1234567, "ops_per_second": 411522.0,
              "pauses": {"count": 0, "p50_ms": null, "p99_ms": null, "max_ms": null},
              "full_collection_ms": 0.0, "peak_heap_bytes": 64000000, "bytes_per_object": 64.0},
     "workloads": [
       {"workload": "corpus", "status": "ok", "reason": "", "traces": 212, "divergent": 0, "ops": 40213, "seconds": 0.1},
       {"workload": "random", "status": "diverged", "reason": "", "traces": 1000, "divergent": 1, "ops": 166747, "seconds": 0.5},
       {"workload": "graph-1k", "status": "ok", "reason": "", "traces": 1, "divergent": 0, "ops": 3004, "seconds": 0.01, "full_collection_ms": 0.0},
       {"workload": "graph-100k", "status": "ok", "reason": "", "traces": 1, "divergent": 0, "ops": 300004, "seconds": 0.2, "full_collection_ms": 0.0},
       {"workload": "graph-1m", "status": "timed_out", "reason": "no answer in 60 s", "traces": 1, "divergent": 0, "ops": 3000004, "seconds": null, "full_collection_ms": null}
     ]},
    {"name": "boehm-gc:boehm", "summary": "libgc",
     "agreement": {"traces": 1214, "divergent": 0, "failed_workloads": 0, "first_failure": null},
     "events": {"freed": 10, "retained": 3, "finalized": 0, "garbage": 0, "cleared": 0, "callbacks": 0},
     "cost": {"seconds": null, "mutator_ops": null, "ops_per_second": null, "pauses": null,
              "full_collection_ms": null, "peak_heap_bytes": null, "bytes_per_object": null},
     "workloads": []}
  ],
  "mutation_score": {
    "schema": "gcfuzz-selftest/1", "seed": 1, "budget": {"traces": 20000, "seconds": 120},
    "drivers": ["rapidcheck", "corpus/cpython", "libfuzzer"],
    "mutants": [
      {"name": "mark-sweep:java~skip-last-slot", "collector": "mark-sweep:java", "summary": "s",
       "rapidcheck": {"caught": true, "seconds": 0.1, "traces": 154, "shrunk_ops": 7, "check": "safety", "distinguishes": true},
       "corpus_cpython": {"caught": false, "trace": null},
       "libfuzzer": {"caught": true, "seconds": 2.1, "shrunk_ops": 5}},
      {"name": "refcount:pep442~weird<name>~leak", "collector": "refcount:pep442~weird<name>", "summary": "s",
       "rapidcheck": {"caught": false, "seconds": null, "traces": 20000, "shrunk_ops": null, "check": null, "distinguishes": null},
       "corpus_cpython": {"caught": true, "trace": "corpus/cpython/leak.gct"},
       "libfuzzer": null}
    ],
    "collectors": [
      {"name": "mark-sweep:java", "mutants": 1, "rapidcheck": {"caught": 1, "median_seconds": 0.1, "median_shrunk_ops": 7},
       "corpus_cpython": {"caught": 0}, "libfuzzer": {"caught": 1, "median_seconds": 2.1, "median_shrunk_ops": 5}},
      {"name": "refcount:pep442~weird<name>", "mutants": 1, "rapidcheck": {"caught": 0, "median_seconds": null, "median_shrunk_ops": null},
       "corpus_cpython": {"caught": 1}, "libfuzzer": null}
    ],
    "caught": 1, "total": 2
  }
})json");
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::vector<std::string> svgs_of(const std::string& html) {
  std::vector<std::string> svgs;
  for (auto at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) {
    svgs.push_back(html.substr(at, html.find("</svg>", at) - at));
  }
  return svgs;
}

// The value of the first `name="value"` in `html` ("" when there is none).
std::string attribute(const std::string& html, const std::string& name) {
  const std::string start = name + "=\"";
  const auto at = html.find(start);
  if (at == std::string::npos) return "";
  const auto from = at + start.size();
  return html.substr(from, html.find('"', from) - from);
}

std::string lower(std::string s) {
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST(ReportRender, DrawsEveryChartAsASizedFigure) {
  const std::string html = render_html_report(sample_compare());
  for (const char* chart :
       {"full collection time against heap size, graph", "pause distribution per collector",
        "memory overhead per collector", "mutants caught per collector and driver",
        "median time to catch a mutant"}) {
    EXPECT_EQ(count(html, "aria-label=\"" + std::string(chart) + "\""), 1u) << chart;
  }
  const std::vector<std::string> svgs = svgs_of(html);
  EXPECT_EQ(svgs.size(), 5u);
  EXPECT_EQ(count(html, "<figcaption>"), svgs.size());
  for (const std::string& svg : svgs) {
    const std::string tag = svg.substr(0, svg.find('>'));
    EXPECT_GT(std::atof(attribute(tag, " width").c_str()), 0) << tag;
    EXPECT_GT(std::atof(attribute(tag, " height").c_str()), 0) << tag;
    EXPECT_TRUE(attribute(tag, "viewBox").starts_with("0 0 ")) << tag;
    EXPECT_NE(svg.find("<title>"), std::string::npos) << "no tooltips in " << svg.substr(0, 200);
  }
  // The mutants table: one row per mutant, a RapidCheck miss marked.
  EXPECT_NE(html.find("mark-sweep:java~skip-last-slot"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"no\">no</td>"), std::string::npos);
  EXPECT_NE(html.find(">1/1<"), std::string::npos);
  EXPECT_NE(html.find(">0/1<"), std::string::npos);
}

TEST(ReportRender, EscapesTextFromTheJson) {
  const std::string html = render_html_report(sample_compare());
  EXPECT_EQ(html.find("weird<name>"), std::string::npos);
  EXPECT_NE(html.find("refcount:pep442~weird&lt;name&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<traces>"), std::string::npos);
  EXPECT_NE(html.find("generated &lt;traces&gt; &amp; more"), std::string::npos);
  EXPECT_NE(html.find("SIGSEGV &lt;in&gt; sweep"), std::string::npos);
}

TEST(ReportRender, IsSelfContainedAndFinite) {
  const std::string html = render_html_report(sample_compare());
  EXPECT_EQ(lower(html).find("<script"), std::string::npos);
  std::string rest = html;
  const std::string xmlns = "xmlns=\"http://www.w3.org/2000/svg\"";
  for (auto at = rest.find(xmlns); at != std::string::npos; at = rest.find(xmlns)) {
    rest.erase(at, xmlns.size());
  }
  EXPECT_EQ(rest.find("http://"), std::string::npos);
  EXPECT_EQ(rest.find("https://"), std::string::npos);
  EXPECT_EQ(lower(html).find("url("), std::string::npos);
  for (const std::string& svg : svgs_of(html)) {
    EXPECT_EQ(lower(svg).find("nan"), std::string::npos) << svg;
    EXPECT_EQ(lower(svg).find("inf"), std::string::npos) << svg;
  }
}

TEST(ReportRender, MarksFailuresAndStatuses) {
  const std::string html = render_html_report(sample_compare());
  EXPECT_EQ(count(html, "<tr class=\"bad\">"), 2u);  // the crash and the divergence
  EXPECT_NE(html.find("AddressSanitizer: times, pauses and memory"), std::string::npos);
  EXPECT_NE(attribute(html, "<td class=\"status crashed\" title").find("SIGSEGV"),
            std::string::npos);
  EXPECT_NE(attribute(html, "<td class=\"status timed_out\" title").find("60 s"),
            std::string::npos);
  EXPECT_EQ(count(html, "<td class=\"status diverged\""), 1u);
  // boehm-gc:boehm ran no workload: its cells say so rather than claim "ok".
  EXPECT_EQ(count(html, "class=\"status none\""), 5u);
  EXPECT_NE(html.find("123 MB"), std::string::npos);
  EXPECT_NE(html.find("988k"), std::string::npos);
}

TEST(ReportRender, ToleratesNullsAndMissingKeys) {
  json compare = sample_compare();
  compare["mutation_score"] = nullptr;
  compare["build"] = "release, -O2";
  compare["collectors"][0]["cost"] = nullptr;
  compare["collectors"][0].erase("agreement");
  compare["collectors"][1]["workloads"][2]["full_collection_ms"] = "fast";
  std::string html;
  ASSERT_NO_THROW(html = render_html_report(compare));
  EXPECT_EQ(svgs_of(html).size(), 3u);  // no mutation score
  EXPECT_EQ(html.find("Mutation score"), std::string::npos);
  EXPECT_EQ(html.find("AddressSanitizer: times"), std::string::npos);
  for (const std::string& svg : svgs_of(html)) EXPECT_EQ(lower(svg).find("nan"), std::string::npos);

  for (const json& odd : {json(), json::object(), json::array(), json("text"),
                          json{{"collectors", {nullptr, 3, json::object()}},
                               {"workloads", {{{"kind", "synthetic"}, {"shape", "tree"}}}}}}) {
    ASSERT_NO_THROW(html = render_html_report(odd)) << odd.dump();
    EXPECT_NE(html.find("</html>"), std::string::npos);
  }
}

}  // namespace
}  // namespace gcfuzz
