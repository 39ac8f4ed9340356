// Objects with payloads (`alloc V N bytes=B`, SPEC.md section 5 item 2): every collector keeps
// each payload intact wherever it puts the object, the checker reads each back after every
// collection, and the boundary mutants (a size class rounded down, a space that does not
// grow for a large object, a large-block threshold one alignment unit too high) are caught
// by a default campaign. Generated traces reach the sizes and bursts these need.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "collectors/registry.h"
#include "harness/campaigns/campaign.h"
#include "harness/isolation/isolated_runner.h"
#include "harness/report/report.h"
#include "harness/trace/text.h"
#include "tests/printers.h"

namespace gcfuzz {
namespace {

Trace parse(const std::string& text) {
  ParseResult p = parse_trace(text, "t.gct");
  EXPECT_TRUE(p.parsed) << (p.error ? p.error->to_string() : "");
  return p.parsed ? p.parsed->trace : Trace{};
}

// Sizes around the boundaries of gcfuzz's own allocators (16-byte classes, 64 KiB nursery
// chunks and large blocks, 256 KiB chunks, semispace blocks) and libgc's and CPython's, kept
// across full and young collections, moved or not, then dropped.
std::string boundary_trace() {
  std::string t;
  const std::uint32_t sizes[] = {1,     7,     8,     15,     16,     17,     255,     256,
                                 257,   4095,  4096,  4097,   65488,  65512,  65513,   65520,
                                 65521, 65536, 65537, 131072, 262144, 262145, 1048576, 3000000};
  int i = 0;
  for (std::uint32_t size : sizes) {
    const std::string v = "v" + std::to_string(i++);
    t += "alloc " + v + " 1 bytes=" + std::to_string(size) + "\n";
    t += "link " + v + " 0 keep\ncopy keep " + v + "\n";
    if (i % 5 == 0) t += "collect young\n";
  }
  t += "collect\nalloc x 0 bytes=65517\ncollect young\ncollect\ndrop keep\n";
  for (int j = 0; j < i; ++j) t += "drop v" + std::to_string(j) + "\n";
  return t + "collect\ncollect\n";
}

TEST(Payloads, EveryCollectorKeepsThemIntactAcrossBoundarySizes) {
  const Trace trace = parse(boundary_trace());
  for (const CollectorInfo& c : registry()) {
    if (c.is_mutant()) continue;
    const LaneResult r = run_lane(trace, c, Isolation{});
    EXPECT_FALSE(r.divergence) << c.name << ": " << format_divergence(*r.divergence, trace);
  }
}

// Forwards every op to mark-sweep:java, and shows payloads through a corruption: `wrong_size`
// adds a byte to @1's, or else @1's last byte reads flipped.
class CorruptPayload final : public Collector, HeapView {
 public:
  CorruptPayload(Observer& o, bool wrong_size)
      : inner_(find_collector("mark-sweep:java")->make(o)), wrong_size_(wrong_size) {}
  void alloc(std::string_view v, int n, Finalizer f, std::uint32_t p) override {
    inner_->alloc(v, n, f, p);
  }
  void link(std::string_view t, int s, std::string_view v) override { inner_->link(t, s, v); }
  void unlink(std::string_view t, int s) override { inner_->unlink(t, s); }
  void load(std::string_view v, std::string_view s, int i) override { inner_->load(v, s, i); }
  void copy(std::string_view v, std::string_view s) override { inner_->copy(v, s); }
  void drop(std::string_view v) override { inner_->drop(v); }
  void weak(std::string_view w, std::string_view v, bool cb) override { inner_->weak(w, v, cb); }
  void deref(std::string_view v, std::string_view w) override { inner_->deref(v, w); }
  void collect(bool young) override { inner_->collect(young); }
  void clear(RootList l) override { inner_->clear(l); }
  const HeapView& view() const override { return *this; }

 private:
  const HeapView& in() const { return inner_->view(); }
  void for_each_variable(const std::function<void(std::string_view, Ref)>& f) const override {
    in().for_each_variable(f);
  }
  void for_each_weak(const std::function<void(std::string_view, Ref)>& f) const override {
    in().for_each_weak(f);
  }
  void for_each_in_list(RootList l, const std::function<void(Ref)>& f) const override {
    in().for_each_in_list(l, f);
  }
  void for_each_object(const std::function<void(Ref)>& f) const override {
    in().for_each_object(f);
  }
  ObjectId id(Ref o) const override { return in().id(o); }
  int slot_count(Ref o) const override { return in().slot_count(o); }
  Ref slot(Ref o, int i) const override { return in().slot(o, i); }
  std::optional<std::span<const std::byte>> payload(Ref o) const override {
    const auto real = in().payload(o);
    if (!real || in().id(o).value != 1) return real;
    copy_.assign(real->begin(), real->end());
    if (wrong_size_) {
      copy_.push_back(std::byte{0});
    } else {
      copy_.back() = ~copy_.back();
    }
    return std::span<const std::byte>(copy_);
  }

  std::unique_ptr<Collector> inner_;
  bool wrong_size_;
  mutable std::vector<std::byte> copy_;
};

LaneResult run_corrupt(bool wrong_size) {
  const CollectorInfo info{
      "corrupt-payload:java", "test", {.policy = Policy::java}, "", [wrong_size](Observer& o) {
        return std::make_unique<CorruptPayload>(o, wrong_size);
      }};
  return run_lane(parse("alloc a 0 bytes=100\nalloc b 0 bytes=300\nalloc c 0\ncollect\n"), info,
                  Isolation{.fork = false});
}

TEST(Payloads, AnOverwrittenPayloadIsAnIntegrityDivergenceAtTheCollection) {
  const LaneResult r = run_corrupt(false);
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->check, Check::integrity);
  EXPECT_EQ(r.divergence->op_index, 3u);
  const std::byte expected = payload_byte(ObjectId{1}, 299);
  EXPECT_EQ(r.divergence->detail,
            fmt::format("@1's payload is overwritten: byte 299 of 300 is {:#04x}, not {:#04x} as "
                        "allocated (a block too small, an overlap, or a copy that lost it)",
                        static_cast<unsigned>(~expected), static_cast<unsigned>(expected)));
  EXPECT_EQ(r.divergence->objects, std::vector<ObjectId>{ObjectId{1}});
}

TEST(Payloads, APayloadOfAnotherSizeIsAnIntegrityDivergence) {
  const LaneResult r = run_corrupt(true);
  ASSERT_TRUE(r.divergence);
  EXPECT_EQ(r.divergence->check, Check::integrity);
  EXPECT_EQ(r.divergence->detail, "@1 has a payload of 301 bytes, but was allocated with 300");
}

// ---- The boundary mutants, each under a default campaign on five seeds ----

struct BoundaryCase {
  std::string mutant;
  std::uint64_t seed;
};

void PrintTo(const BoundaryCase& c, std::ostream* os) {
  *os << c.mutant << " seed " << c.seed;
}

std::vector<BoundaryCase> boundary_cases() {
  std::vector<BoundaryCase> cases;
  for (const char* m :
       {"mark-sweep:java~size-class-rounded-down", "semispace:java~no-growth-for-large",
        "generational:java~large-block-off-by-one"}) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) cases.push_back({m, seed});
  }
  return cases;
}

class BoundaryMutants : public ::testing::TestWithParam<BoundaryCase> {};

// Caught within the first 500 traces of the campaign `gcfuzz run -c MUTANT --seed S` runs (a
// count, not a time: the same on any machine), shrunk to at most 3 ops, which the original
// passes.
TEST_P(BoundaryMutants, AreCaughtByADefaultCampaign) {
  const CollectorInfo* mutant = find_collector(GetParam().mutant);
  ASSERT_NE(mutant, nullptr);
  CampaignOptions options;
  options.seed = GetParam().seed;
  options.max_traces = 500;
  const CollectorInfo* const one[] = {mutant};
  const CampaignResult result = run_campaign(one, options);
  ASSERT_TRUE(result.tallies.front().finding) << mutant->name << " not caught in 500 traces";
  const Finding& f = *result.tallies.front().finding;
  EXPECT_LE(f.shrunk.ops.size(), 3u) << print_trace(f.shrunk);
  EXPECT_FALSE(run_lane(f.shrunk, *find_collector(mutant->mutant_of), Isolation{}).divergence)
      << print_trace(f.shrunk);
}

INSTANTIATE_TEST_SUITE_P(Seeds, BoundaryMutants, ::testing::ValuesIn(boundary_cases()),
                         [](const ::testing::TestParamInfo<BoundaryCase>& info) {
                           return test_name_of(info.param.mutant + "_seed" +
                                               std::to_string(info.param.seed));
                         });

// ---- What the generator draws ----

struct Drawn {
  std::uint32_t largest = 0;
  std::size_t longest_run = 0;  // most allocs between two collects
  std::uint64_t most_payload = 0;
};

Drawn draw(HeapShape heap, std::size_t traces) {
  Drawn d;
  for (std::size_t i = 0; i < traces; ++i) {
    const Trace t = campaign_trace(1, i, 64, heap).value();
    std::size_t run = 0;
    std::uint64_t payload = 0;
    for (const Op& op : t.ops) {
      if (const auto* a = std::get_if<Alloc>(&op)) {
        d.largest = std::max(d.largest, a->payload.bytes);
        payload += a->payload.bytes;
        d.longest_run = std::max(d.longest_run, ++run);
      } else if (std::holds_alternative<Collect>(op)) {
        run = 0;
      }
    }
    d.most_payload = std::max(d.most_payload, payload);
  }
  return d;
}

TEST(Generator, MixedHeapsReachMegabytesAndBursts) {
  const Drawn d = draw(HeapShape::mixed, 300);
  EXPECT_GE(d.largest, 1u << 20);
  EXPECT_GE(d.longest_run, 100u);
  EXPECT_GE(d.most_payload, 4u << 20);
  EXPECT_LE(d.most_payload, kGeneratedPayloadBudget + kMaxPayload);
}

TEST(Generator, SmallHeapsStayAtMost256BytesWithoutBursts) {
  const Drawn d = draw(HeapShape::small, 300);
  EXPECT_LE(d.largest, 256u);
  EXPECT_GT(d.largest, 0u);
  EXPECT_LT(d.longest_run, 64u);
}

}  // namespace
}  // namespace gcfuzz
