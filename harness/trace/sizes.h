// Payload sizes for generated traces (`alloc V N bytes=B`), one distribution per heap shape.
// The RapidCheck generator and the libFuzzer text mutator both draw from these tables, so
// both reach the same size classes, chunk ends and large-object thresholds.
//
// Sizes are heavy-tailed: most objects have no payload or a small one, some have 1-64 KiB,
// a few 64 KiB-1 MiB and rarely 1-4 MiB. One bucket aims at boundaries: a power of two from
// 16 B to 1 MiB, give or take up to 32 bytes, where size classes, pages, chunks and
// large-object thresholds sit in real allocators.
#pragma once

#include "harness/trace/layer.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace gcfuzz {

enum class HeapShape : std::uint8_t {
  small,  // payloads of at most 256 bytes, no allocation bursts: the semantic rules
  large,  // mostly KiB to MiB payloads, frequent bursts: the allocator's paths
  mixed,  // the default: both, heavy-tailed
};
std::string_view name_of(HeapShape shape);
std::optional<HeapShape> heap_shape_from_name(std::string_view name);

// A bucket: sizes uniform in [low, high], or for `boundary`, 2^e + d with e uniform in
// [low, high] and d uniform in [-32, 32] (clamped at 0); for `logarithmic`, a power of two
// between low and high picked uniformly, then a size uniform up to the next power of two.
struct SizeBucket {
  enum class Kind : std::uint8_t { uniform, logarithmic, boundary };
  int weight;
  Kind kind;
  std::uint32_t low;
  std::uint32_t high;
};

std::span<const SizeBucket> size_buckets(HeapShape shape);

// The size `bucket` gives for two uniform draws, `a` and `b` (each 0..2^32-1). ENSURES: at
// most kMaxPayload.
std::uint32_t size_in(const SizeBucket& bucket, std::uint32_t a, std::uint32_t b);

// The sum of the shape's bucket weights.
int total_weight(HeapShape shape);
// A size of the shape: the bucket at `point` (0..total_weight-1) on the buckets' weights,
// then size_in with `a` and `b`. Each driver draws the three from its own random source.
std::uint32_t draw_size(HeapShape shape, int point, std::uint32_t a, std::uint32_t b);

// What a generated trace allocates at most in payload; past it, every size is 0 (kept well
// below the parser's kMaxTracePayload).
inline constexpr std::uint64_t kGeneratedPayloadBudget = 64u << 20;

// An allocation burst: 1 to kBurstMax objects allocated back to back (generators.cpp).
inline constexpr int kBurstMax = 250;

// How often a burst is drawn, per op generated (in 1000ths), by shape.
int burst_per_mille(HeapShape shape);

}  // namespace gcfuzz
