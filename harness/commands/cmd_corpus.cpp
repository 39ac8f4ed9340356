// `gcfuzz corpus`: folding fuzzing output into the regression corpus.
//
// `merge` takes working-corpus folders (libFuzzer's, whose files have hashes for names and
// no extension, or saved failures) and adds each trace not already in the corpus, in
// canonical text, named by content hash. `regression` turns one failing trace into a
// regression test: shrunk, with a header saying what broke and `expect` lines stating what
// the model says must hold at the op where it broke, under each policy.
#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "harness/commands/cli_support.h"
#include "harness/commands/commands.h"
#include "harness/commands/save.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/report.h"
#include "harness/trace/minimizer.h"

namespace gcfuzz {
namespace {

namespace fs = std::filesystem;

// Every regular file under `dir` (recursively), sorted; hidden files skipped.
std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> files;
  if (fs::is_regular_file(dir)) return {dir};
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.') {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The content hashes of the ops of every trace already in the corpus: the header (comments)
// does not make two traces different.
std::set<std::string> hashes_in(const fs::path& corpus_root) {
  std::set<std::string> hashes;
  if (!fs::exists(corpus_root)) return hashes;
  for (const fs::path& p : files_under(corpus_root)) {
    if (p.extension() != ".gct") continue;
    ParseResult r = load_trace(p);
    if (!r.parsed) continue;
    r.parsed->trace.header.clear();
    hashes.insert(content_hash(r.parsed->trace));
  }
  return hashes;
}

ObjectList ids_where(const Model& m, auto&& keep) {
  ObjectList list;
  for (std::uint32_t i = 0; i < m.object_count(); ++i) {
    if (keep(ObjectId{i})) list.ids.push_back(ObjectId{i});
  }
  return list;
}

// What the model says holds after the op at `index` under `policy`, as expectation ops.
std::vector<Op> facts_after(const Trace& trace, std::size_t index, Policy policy) {
  Model model(ModelOptions{.policy = policy});
  Events last;
  for (std::size_t i = 0; i <= index && i < trace.ops.size(); ++i) last = model.apply(trace.ops[i]);
  std::vector<Op> facts;
  if (last.collected) facts.push_back(ExpectCollected{.count = Count{*last.collected}});
  if (!last.freed.empty()) facts.push_back(ExpectFreed{.ids = ObjectList{last.freed}});
  const ObjectList finalized =
      ids_where(model, [&](ObjectId id) { return model.times_finalized(id) > 0; });
  if (!finalized.ids.empty()) facts.push_back(ExpectFinalized{.ids = finalized});
  if (const std::vector<ObjectId> garbage = model.garbage(); !garbage.empty()) {
    facts.push_back(ExpectGarbage{.ids = ObjectList{garbage}});
  }
  const ObjectList alive = ids_where(model, [&](ObjectId id) { return !model.is_freed(id); });
  if (!alive.ids.empty()) facts.push_back(ExpectAlive{.ids = alive});
  std::set<std::string> names;  // each variable's object's reference count
  for (std::size_t i = 0; i <= index && i < trace.ops.size(); ++i) {
    for (std::string_view n : variable_names(trace.ops[i])) names.emplace(n);
  }
  for (const std::string& n : names) {
    if (const std::optional<ObjectId> id = model.variable(n)) {
      facts.push_back(ExpectRefcount{.var = Var{n}, .count = Count{model.refcount(*id)}});
    }
  }
  return facts;
}

// Each fact once, with a `when` filter naming the policies under which it holds (none when
// it holds under all of them), in a stable order.
std::vector<Op> expectations_after(const Trace& trace, std::size_t index) {
  std::vector<std::pair<std::string, Op>> order;  // first appearance
  std::map<std::string, std::uint8_t> mask;
  for (std::size_t p = 0; p < kPolicyNames.size(); ++p) {
    for (Op& fact : facts_after(trace, index, static_cast<Policy>(p))) {
      const std::string key = print_op(fact);
      if (!mask.contains(key)) order.emplace_back(key, std::move(fact));
      mask[key] |= static_cast<std::uint8_t>(1u << p);
    }
  }
  const std::uint8_t all = static_cast<std::uint8_t>((1u << kPolicyNames.size()) - 1);
  std::vector<Op> out;
  for (auto& [key, fact] : order) {
    const std::uint8_t m = mask[key] == all ? 0 : mask[key];
    std::visit(
        [&](auto& op) {
          if constexpr (requires { op.when; }) op.when = PolicyFilter{m};
        },
        fact);
    out.push_back(std::move(fact));
  }
  return out;
}

int merge(const CorpusOptions& options) {
  const fs::path into = options.into.value_or("corpus/fuzz");
  const fs::path corpus_root = options.corpus_root;
  std::set<std::string> known = hashes_in(corpus_root);
  known.merge(hashes_in(into));  // `into` may lie outside the corpus
  std::size_t added = 0, duplicates = 0, unparsable = 0, seen = 0;
  for (const std::string& source : options.paths) {
    if (!fs::exists(source)) {
      std::cerr << fmt::format("gcfuzz corpus merge: {}: no such file or folder\n", source);
      return kExitBadInput;
    }
    for (const fs::path& p : files_under(source)) {
      ++seen;
      ParseResult r = load_trace(p);
      if (!r.parsed) {
        ++unparsable;
        if (options.verbose) std::cerr << r.error->to_string() << " (skipped)\n";
        continue;
      }
      Trace trace = std::move(r.parsed->trace);
      trace.header.clear();
      const std::string hash = content_hash(trace);
      if (!known.insert(hash).second) {
        ++duplicates;
        continue;
      }
      trace.header = {fmt::format("merged by gcfuzz corpus merge from {}", p.filename().string())};
      fs::create_directories(into);
      write_atomically(into / (hash + ".gct"), print_trace(trace));
      ++added;
    }
  }
  std::cout << fmt::format(
      "SUMMARY: gcfuzz corpus merge: {} files read, {} added to {}, {} already in {}, {} not "
      "traces\n",
      seen, added, into.string(), duplicates, corpus_root.string(), unparsable);
  return kExitAgree;
}

int regression(const CorpusOptions& options) {
  if (options.paths.size() != 1) {
    std::cerr << "gcfuzz corpus regression: give exactly one trace file\n";
    return kExitBadInput;
  }
  const std::string& file = options.paths.front();
  const auto collectors = collectors_or_report(options.collector);
  if (!collectors) return kExitBadInput;
  const std::optional<ParsedTrace> parsed = load_or_report(file);
  if (!parsed) return kExitBadInput;
  Trace trace = parsed->trace;
  const Isolation isolation{.fork = true};

  std::optional<FirstDivergence> first = first_divergence(trace, *collectors, isolation);
  std::vector<std::string> header;
  std::size_t at = trace.ops.empty() ? 0 : trace.ops.size() - 1;
  if (first) {
    LaneServer lanes(*first->collector, isolation, {}, !depends_on_history(first->divergence));
    auto still_fails = [&](const Trace& candidate) {
      const LaneResult r = lanes.run(candidate);
      return r.divergence && r.divergence->same_kind(first->divergence);
    };
    trace = minimize(trace, still_fails).trace;
    const LaneResult now = run_lane(trace, *first->collector, isolation);
    const Divergence& d = now.divergence ? *now.divergence : first->divergence;
    at = std::min(d.op_index, trace.ops.empty() ? 0 : trace.ops.size() - 1);
    header = {fmt::format("Regression: {} failed a {} check at op {}: {}", d.collector,
                          name_of(d.check), at, d.detail),
              fmt::format("Found in {}; shrunk by gcfuzz minimize. The expectations below are "
                          "the model's, after op {}.",
                          fs::path(file).filename().string(), at)};
  } else {
    header = {
        fmt::format("Regression from {}: no collector diverges on it now; the "
                    "expectations below are the model's after the last op.",
                    fs::path(file).filename().string())};
  }
  if (!options.description.empty()) header.insert(header.begin(), options.description);
  trace.header.clear();
  std::vector<Op> expectations = expectations_after(trace, at);
  trace.ops.insert(
      trace.ops.begin() + static_cast<std::ptrdiff_t>(std::min(at + 1, trace.ops.size())),
      expectations.begin(), expectations.end());
  trace.header = header;

  const fs::path into = options.into.value_or("corpus/regressions");
  const fs::path target =
      into / (options.name.value_or("regression-" + content_hash(trace)) + ".gct");
  if (fs::exists(target)) {
    std::cerr << fmt::format("gcfuzz corpus regression: {} exists; choose another --name\n",
                             target.string());
    return kExitBadInput;
  }
  fs::create_directories(into);
  write_atomically(target, print_trace(trace));
  std::cout << print_trace(trace);
  std::cout << fmt::format(
      "SUMMARY: gcfuzz corpus regression: {} ops and {} expectations written to {}\n",
      trace.ops.size() - expectations.size(), expectations.size(), target.string());
  return kExitAgree;
}

}  // namespace

int corpus_command(const CorpusOptions& options) {
  if (options.action == "merge") return merge(options);
  if (options.action == "regression") return regression(options);
  std::cerr << fmt::format("gcfuzz corpus: unknown action '{}' (merge, regression)\n",
                           options.action);
  return kExitBadInput;
}

}  // namespace gcfuzz
