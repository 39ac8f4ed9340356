// The payload size tables (sizes.h).
#include "harness/trace/sizes.h"

#include <algorithm>
#include <array>

#include "gcfuzz/vocabulary.hpp"

namespace gcfuzz {

namespace {

using K = SizeBucket::Kind;

constexpr std::array<SizeBucket, 2> kSmall = {{
    {3, K::uniform, 0, 0},
    {1, K::uniform, 1, 256},
}};

// Exponents 4..20: 16 B to 1 MiB.
constexpr std::array<SizeBucket, 6> kMixed = {{
    {60, K::uniform, 0, 0},
    {20, K::uniform, 1, 256},
    {8, K::boundary, 4, 20},
    {8, K::logarithmic, 1u << 10, 1u << 15},
    {3, K::logarithmic, 1u << 16, 1u << 19},
    {1, K::logarithmic, 1u << 20, 1u << 21},
}};

constexpr std::array<SizeBucket, 6> kLarge = {{
    {10, K::uniform, 0, 0},
    {10, K::uniform, 1, 256},
    {20, K::boundary, 4, 20},
    {35, K::logarithmic, 1u << 10, 1u << 15},
    {20, K::logarithmic, 1u << 16, 1u << 19},
    {5, K::logarithmic, 1u << 20, 1u << 21},
}};

constexpr std::array<std::string_view, 3> kShapeNames = {"small", "large", "mixed"};

}  // namespace

std::string_view name_of(HeapShape shape) {
  return kShapeNames[static_cast<int>(shape)];
}

std::optional<HeapShape> heap_shape_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kShapeNames.size(); ++i) {
    if (kShapeNames[i] == name) return static_cast<HeapShape>(i);
  }
  return std::nullopt;
}

std::span<const SizeBucket> size_buckets(HeapShape shape) {
  switch (shape) {
    case HeapShape::small:
      return kSmall;
    case HeapShape::large:
      return kLarge;
    case HeapShape::mixed:
      break;
  }
  return kMixed;
}

std::uint32_t size_in(const SizeBucket& bucket, std::uint32_t a, std::uint32_t b) {
  std::uint64_t size = 0;
  switch (bucket.kind) {
    case K::uniform:
      size = bucket.low + a % (std::uint64_t{bucket.high} - bucket.low + 1);
      break;
    case K::logarithmic: {
      // Powers of two from low to high, one picked, then a size in [2^e, 2^(e+1)).
      int first = 0, last = 0;
      while ((std::uint64_t{1} << (first + 1)) <= bucket.low) ++first;
      while ((std::uint64_t{1} << (last + 1)) <= bucket.high) ++last;
      const int e = first + static_cast<int>(a % static_cast<std::uint32_t>(last - first + 1));
      size = (std::uint64_t{1} << e) + b % (std::uint64_t{1} << e);
      break;
    }
    case K::boundary: {
      const int e = static_cast<int>(bucket.low + a % (bucket.high - bucket.low + 1));
      const std::int64_t d = static_cast<std::int64_t>(b % 65) - 32;
      size = static_cast<std::uint64_t>(std::max<std::int64_t>(0, (std::int64_t{1} << e) + d));
      break;
    }
  }
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(size, kMaxPayload));
}

int total_weight(HeapShape shape) {
  int total = 0;
  for (const SizeBucket& b : size_buckets(shape)) total += b.weight;
  return total;
}

std::uint32_t draw_size(HeapShape shape, int point, std::uint32_t a, std::uint32_t b) {
  const std::span<const SizeBucket> buckets = size_buckets(shape);
  std::size_t i = 0;
  while (point >= buckets[i].weight) point -= buckets[i++].weight;
  return size_in(buckets[i], a, b);
}

int burst_per_mille(HeapShape shape) {
  switch (shape) {
    case HeapShape::small:
      return 0;
    case HeapShape::large:
      return 40;
    case HeapShape::mixed:
      break;
  }
  return 10;
}

}  // namespace gcfuzz
