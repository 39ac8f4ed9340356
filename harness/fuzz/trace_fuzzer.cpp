// gcfuzz_trace_fuzzer: the differential libFuzzer target. Its input is a `.gct` trace; each
// selected collector runs it in lockstep with its model, in this process, and the first
// divergence is printed and ends the run with abort(), so that libFuzzer saves the input.
// The custom mutator and cross-over work on ops (harness/trace/mutator.h), so every input and
// every crash artifact is a valid trace that `gcfuzz replay` and `gcfuzz minimize` take as-is.
//
// GCFUZZ_COLLECTORS (read once, at start): comma-separated names or globs, as `-c`; mutants
// may be named or matched. Default: the collectors of the plugins (one linked in, or
// GCFUZZ_PLUGINS), or, without a plugin, every collector that is not a mutant.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#if defined(__SANITIZE_ADDRESS__)
#define GCFUZZ_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GCFUZZ_HAS_ASAN 1
#endif
#endif
#ifdef GCFUZZ_HAS_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include "collectors/registry.h"
#include "harness/engine/plugins.h"
#include "harness/engine/selection.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/report.h"
#include "harness/trace/mutator.h"
#include "harness/trace/text.h"
#include "model/model.h"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace gcfuzz {
namespace {

// Longer inputs are skipped: a few hundred ops reach every rule, and short inputs keep the
// executions per second high.
constexpr std::size_t kMaxFuzzOps = 512;
// An input that does not parse is replaced by a random trace of up to this many ops.
constexpr std::size_t kFallbackOps = 16;

// Spec coverage as libFuzzer features (docs/coverage.md): one counter per SPEC.md rule (the
// ops that applied it; libFuzzer buckets the count), and one per pair of rules applied by the
// same op (a collection that both resurrects and clears weak references is a state of its
// own). libFuzzer reads this section after each input as extra counters and keeps an input
// that sets a new one, so inputs reaching new semantic states survive even when they run no
// new code. It clears them before each input.
constexpr std::size_t kRulePairs = kRuleCount * kRuleCount;
__attribute__((section("__libfuzzer_extra_counters"), used))
std::uint8_t spec_features[kRuleCount + kRulePairs];

void count_spec_features(const std::vector<RuleSet>& rules_by_op) {
  for (const RuleSet& rules : rules_by_op) {
    rules.for_each([&](Rule a) {
      std::uint8_t& hits = spec_features[static_cast<int>(a)];
      if (hits != 255) ++hits;
      rules.for_each([&](Rule b) {
        if (a < b) {
          spec_features[kRuleCount + static_cast<int>(a) * kRuleCount + static_cast<int>(b)] = 1;
        }
      });
    });
  }
}

// Parsing costs as much as running a short trace under ASan, and libFuzzer hands the same
// texts over again and again: the mutator's output comes back as the next input to run, and
// each corpus input is mutated and crossed over many times. So the parsed traces are kept:
// the last output (with its expectations known to hold), and the corpus inputs the mutator
// and the cross-over were given, up to kParsedInputs of them (then that cache starts over).
// The mutator's outputs print and parse back to the same trace (tests/mutator_test.cpp).
constexpr std::size_t kParsedInputs = 4096;

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};
using ParsedInputs =
    std::unordered_map<std::string, std::optional<Trace>, TextHash, std::equal_to<>>;

// Payload sizes as features. A collector runs the same code for an object of 65,528 bytes as
// for one of 65,544, so code coverage cannot tell an input that reaches a power of two's
// neighbourhood from one that stays clear of it; yet that is where size classes, chunk ends
// and large-object thresholds sit, and their bugs with them. Each alloc sets the counter of
// its size's bit width and, within 64 bytes of a power of two from 128 B up (a header and a
// few slots come on top of a payload), the counter of that power and its distance in 8-byte
// steps, so that an input reaching a new step is kept and its sizes nudged further. Each input sets
// the bit width of its total payload, so that inputs growing the heap to a new order of magnitude
// are kept too.
constexpr int kSizeWidths = 26;  // bit widths of sizes up to kMaxPayload (2^24)
constexpr int kNearSteps = 17;   // -64, -56, ..., +64 bytes from the power of two
constexpr int kTotalWidths = 48;
__attribute__((section("__libfuzzer_extra_counters"), used))
std::uint8_t size_features[kSizeWidths + kSizeWidths * kNearSteps + kTotalWidths];

void count_size_features(const Trace& trace) {
  std::uint64_t total = 0;
  for (const Op& op : trace.ops) {
    const auto* alloc = std::get_if<Alloc>(&op);
    if (alloc == nullptr) continue;
    const std::uint32_t bytes = alloc->payload.bytes;
    total += bytes;
    const int width = static_cast<int>(std::bit_width(bytes));
    size_features[std::min(width, kSizeWidths - 1)] = 1;
    if (bytes < 128 - 64) continue;
    const std::uint32_t below = std::bit_floor(bytes);
    const std::int64_t off_below = static_cast<std::int64_t>(bytes) - below;
    const std::int64_t off_above = static_cast<std::int64_t>(bytes) - 2 * std::int64_t{below};
    const bool near_below = off_below <= 64 && below >= 128;
    const std::int64_t off = near_below ? off_below : off_above;
    if (!near_below && off_above < -64) continue;
    const int power = near_below ? width - 1 : width;
    if (power >= kSizeWidths) continue;
    const int step = static_cast<int>((off + 64) / 8);  // 0..16
    size_features[kSizeWidths + power * kNearSteps + step] = 1;
  }
  size_features[kSizeWidths + kSizeWidths * kNearSteps +
                std::min(static_cast<int>(std::bit_width(total)), kTotalWidths - 1)] = 1;
}

// What libFuzzer's C entry points share; set once by LLVMFuzzerInitialize.
struct FuzzerState {
  std::vector<const CollectorInfo*> collectors;
  std::vector<Policy> policies;  // the selected collectors' policies, each once
  MutatorOptions mutator;
  // The last mutator output, its trace, and the mutations that made it (printed with a
  // finding).
  std::string last_output;
  std::optional<Trace> last_trace;
  std::vector<std::string_view> last_mutations;
  ParsedInputs parsed;  // corpus inputs, by text
  // The collector running now, named when a sanitizer reports an error in it.
  const CollectorInfo* running = nullptr;
};

FuzzerState& state() {
  static FuzzerState s;
  return s;
}

std::vector<std::string> split_patterns(std::string_view text) {
  std::vector<std::string> patterns;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) patterns.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return patterns;
}

// An expectation that a policy's own model fails is a wrong trace, not a collector's bug
// (replay would report it against every collector of that policy): such inputs are
// rejected before any collector runs.
bool expectations_hold(const Trace& trace, const std::vector<Policy>& policies) {
  const std::vector<bool> fails = failing_expectations(trace, policies);
  return std::none_of(fails.begin(), fails.end(), [](bool f) { return f; });
}

std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

std::optional<Trace> parse_input(std::string_view text) {
  ParseResult r = parse_trace(text, "input");
  if (!r.parsed || r.parsed->trace.ops.size() > kMaxFuzzOps) return std::nullopt;
  return std::move(r.parsed->trace);
}

// The trace of an input given to the mutator or the cross-over (to be copied: they change it).
const std::optional<Trace>& mutator_input(const std::uint8_t* data, std::size_t size) {
  FuzzerState& s = state();
  const std::string_view text = text_of(data, size);
  if (s.last_trace && text == s.last_output) return s.last_trace;
  if (auto it = s.parsed.find(text); it != s.parsed.end()) return it->second;
  if (s.parsed.size() >= kParsedInputs) s.parsed.clear();
  return s.parsed.emplace(std::string(text), parse_input(text)).first->second;
}

// Prints `trace` into libFuzzer's buffer and keeps it as the last output. When the text had
// to be cut to max_size (ops dropped at random), the expectations that no longer hold go too.
std::size_t write_output(Trace trace, std::uint8_t* out, std::size_t max_size, MutationRng& rng) {
  FuzzerState& s = state();
  trace.header.clear();
  const std::size_t ops = trace.ops.size();
  std::string text = print_within(trace, max_size, rng);
  if (trace.ops.size() != ops) {
    drop_failing_expectations(trace, s.policies);
    text = print_trace(trace);
  }
  std::memcpy(out, text.data(), text.size());
  s.last_output = std::move(text);
  s.last_trace = std::move(trace);
  return s.last_output.size();
}

[[noreturn]] void report_and_abort(const Divergence& d, const Trace& trace,
                                   std::string_view input) {
  std::string text = "\n" + format_divergence(d, trace) + "\n";
  text +=
      fmt::format("  the trace ({} ops; the crash artifact is this input):\n", trace.ops.size());
  text += print_trace(Trace{{}, trace.ops});
  if (input == state().last_output && !state().last_mutations.empty()) {
    std::string names;
    for (std::string_view n : state().last_mutations) names += fmt::format(" {}", n);
    text += fmt::format("  made by the mutations:{}\n", names);
  }
  text += fmt::format("  replay: gcfuzz replay -c {} <crash artifact>\n", d.collector);
  text += fmt::format("SUMMARY: gcfuzz_trace_fuzzer: {} {} divergence at op {}\n", d.collector,
                      name_of(d.check), d.op_index);
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

#ifdef GCFUZZ_HAS_ASAN
// After AddressSanitizer's report (a collector touched memory it had freed, say), name the
// collector: the report itself only shows code.
void name_the_crashing_collector(const char* /*report*/) {
  if (const CollectorInfo* c = state().running) {
    const std::string line = fmt::format(
        "gcfuzz_trace_fuzzer: the error above happened in collector {}\n"
        "  replay: gcfuzz replay -c {} <crash artifact>\n"
        "SUMMARY: gcfuzz_trace_fuzzer: {} crash\n",
        c->name, c->name, c->name);
    std::fputs(line.c_str(), stderr);
  }
}
#endif

}  // namespace
}  // namespace gcfuzz

using namespace gcfuzz;

// A plugin linked into this program (a fuzz target built over it, docs/plugins.md) defines
// the entry point; otherwise it stays null.
extern "C" __attribute__((weak)) const gcfuzz_plugin_table* gcfuzz_plugin(void);

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  FuzzerState& s = state();
  // Plugins: the one linked in, then GCFUZZ_PLUGINS. Without GCFUZZ_COLLECTORS, their
  // collectors are the ones fuzzed.
  const std::size_t built_in = registry().size();
  try {
    if (gcfuzz_plugin != nullptr) register_plugin_table(gcfuzz_plugin(), "linked in");
    load_plugins({});
  } catch (const PluginError& e) {
    std::fprintf(stderr, "gcfuzz_trace_fuzzer: %s\n", e.what());
    std::exit(2);
  }
  const char* env = std::getenv("GCFUZZ_COLLECTORS");
  std::vector<std::string> patterns = split_patterns(env ? env : "");
  if (patterns.empty()) {
    for (std::size_t i = built_in; i < registry().size(); ++i) {
      if (!registry()[i].is_mutant()) patterns.emplace_back(registry()[i].name);
    }
  }
  const Selection selection =
      patterns.empty() ? select_collectors({}, false) : select_collectors(patterns, true);
  if (!selection.error.empty() || selection.collectors.empty()) {
    std::fprintf(stderr, "gcfuzz_trace_fuzzer: GCFUZZ_COLLECTORS='%s': %s\n", env ? env : "",
                 selection.error.empty() ? "selects no collector" : selection.error.c_str());
    std::exit(2);
  }
  s.collectors = selection.collectors;
  std::string names;
  for (const CollectorInfo* c : s.collectors) {
    names += fmt::format(" {}", c->name);
    if (std::find(s.policies.begin(), s.policies.end(), c->capabilities.policy) ==
        s.policies.end()) {
      s.policies.push_back(c->capabilities.policy);
    }
  }
  s.mutator.max_ops = kMaxFuzzOps;
  s.mutator.policies = s.policies;
  s.mutator.mutate_bytes = LLVMFuzzerMutate;
  std::fprintf(stderr, "INFO: gcfuzz_trace_fuzzer: %zu collectors:%s\n", s.collectors.size(),
               names.c_str());
#ifdef GCFUZZ_HAS_ASAN
  __asan_set_error_report_callback(name_the_crashing_collector);
#endif
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Inputs that are not traces to run are kept out of the corpus (-1). The mutator's output
  // is parsed, and its expectations hold, already.
  const std::string_view text = text_of(data, size);
  std::optional<Trace> parsed;
  const Trace* trace = nullptr;
  if (state().last_trace && text == state().last_output) {
    trace = &*state().last_trace;
  } else {
    parsed = parse_input(text);
    if (!parsed || !expectations_hold(*parsed, state().policies)) return -1;
    trace = &*parsed;
  }
  count_size_features(*trace);
  const Isolation in_process{.fork = false};
  for (const CollectorInfo* collector : state().collectors) {
    state().running = collector;
    const LaneResult r = run_lane(*trace, *collector, in_process, {.record_rules = true});
    state().running = nullptr;
    count_spec_features(r.rules);
    if (r.divergence) {
      report_and_abort(*r.divergence, *trace, text);
    }
  }
  return 0;
}

// An input that parses is mutated as ops; one that does not (a hand-made seed with a typo,
// bytes from another fuzzer) is replaced by a random trace drawn from the seed, so the
// corpus stays in the language.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  FuzzerState& s = state();
  MutationRng rng(seed);
  std::optional<Trace> trace = mutator_input(data, size);
  std::vector<std::string_view> mutations;
  if (trace) {
    mutations = mutate_trace(*trace, rng, s.mutator);
  } else {
    trace = random_trace(rng, 1 + rng() % kFallbackOps, s.mutator);
    mutations = {"random_trace"};
  }
  const std::size_t new_size = write_output(std::move(*trace), data, max_size, rng);
  s.last_mutations = std::move(mutations);
  return new_size;
}

extern "C" std::size_t LLVMFuzzerCustomCrossOver(const std::uint8_t* data1, std::size_t size1,
                                                 const std::uint8_t* data2, std::size_t size2,
                                                 std::uint8_t* out, std::size_t max_out_size,
                                                 unsigned int seed) {
  FuzzerState& s = state();
  // Copies: the second lookup may start the cache over.
  const std::optional<Trace> first = mutator_input(data1, size1);
  const std::optional<Trace> second = mutator_input(data2, size2);
  if (!first || !second) return 0;  // libFuzzer then draws another mutation
  MutationRng rng(seed);
  const std::size_t new_size =
      write_output(splice_traces(*first, *second, rng, s.mutator), out, max_out_size, rng);
  s.last_mutations = {"splice_traces"};
  return new_size;
}
