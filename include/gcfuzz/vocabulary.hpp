// The words shared by the trace language, the reference model and the collector API.
//
// It names things (object ids, finalizer kinds, policies, root lists) and holds no
// behaviour; collectors may include it, and nothing else of the model.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gcfuzz {

// An object's public number: the N-th allocation, from 0 (SPEC.md section 1).
struct ObjectId {
  std::uint32_t value = 0;
  friend constexpr auto operator<=>(ObjectId, ObjectId) = default;
};

inline constexpr int kMaxSlots = 16;

// An object's payload (`alloc V N bytes=K`): K bytes beyond its slots, 0..kMaxPayload. A
// trace allocates at most kMaxTracePayload bytes of payload in all.
inline constexpr std::uint32_t kMaxPayload = 16u << 20;
inline constexpr std::uint64_t kMaxTracePayload = 256u << 20;

// SPEC.md section 1, "Finalizer kinds".
enum class Finalizer : std::uint8_t { none, log, resurrect, alloc, legacy };
inline constexpr std::array<std::string_view, 5> kFinalizerNames = {"none", "log", "resurrect",
                                                                    "alloc", "legacy"};

// SPEC.md section 3: a whole rule set.
enum class Policy : std::uint8_t { pep442, pep442_whole, legacy, java, boehm, lua };
inline constexpr std::array<std::string_view, 6> kPolicyNames = {"pep442", "pep442-whole", "legacy",
                                                                 "java",   "boehm",        "lua"};

// The two lists that are roots besides the variables.
enum class RootList : std::uint8_t { revived, garbage };
inline constexpr std::array<std::string_view, 2> kRootListNames = {"revived", "garbage"};

constexpr std::string_view name_of(Finalizer f) {
  return kFinalizerNames[static_cast<int>(f)];
}
constexpr std::string_view name_of(Policy p) {
  return kPolicyNames[static_cast<int>(p)];
}
constexpr std::string_view name_of(RootList l) {
  return kRootListNames[static_cast<int>(l)];
}

// Looks `word` up in one of the name tables above.
template <class Enum, std::size_t N>
constexpr std::optional<Enum> enum_from_name(const std::array<std::string_view, N>& names,
                                             std::string_view word) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == word) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

inline std::optional<Finalizer> finalizer_from_name(std::string_view w) {
  return enum_from_name<Finalizer>(kFinalizerNames, w);
}
inline std::optional<Policy> policy_from_name(std::string_view w) {
  return enum_from_name<Policy>(kPolicyNames, w);
}
inline std::optional<RootList> root_list_from_name(std::string_view w) {
  return enum_from_name<RootList>(kRootListNames, w);
}

// True for the policies built on reference counting (objects can die between collections).
constexpr bool counts_references(Policy p) {
  return p == Policy::pep442 || p == Policy::pep442_whole || p == Policy::legacy;
}

}  // namespace gcfuzz
