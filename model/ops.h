// The trace language: one plain aggregate per operation, all in one std::variant.
//
// Every op is a struct whose fields are token types (below). Boost.PFR walks the fields,
// so printing, parsing, equality and hashing are written once, per token type, not per op
// (harness/trace/text.cpp prints and parses; this file gives equality and hashing). Adding an op:
// one struct here, its place in `Op`, and one `apply` per side (model, collector dispatch).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/pfr.hpp>

#include "gcfuzz/vocabulary.hpp"

namespace gcfuzz {

// ---- Token types: each is one word (or an optional word) of a line. ----

// A variable name: [a-z_][a-z0-9_]*, not `revived` or `garbage`. Strong and weak
// variables live in separate namespaces; which one is meant depends on the field.
struct Var {
  std::string name;
  friend auto operator<=>(const Var&, const Var&) = default;
};

// A slot index, 0..kMaxSlots-1. An index past the object's slot count makes the op a no-op.
struct Slot {
  int index = 0;
  friend auto operator<=>(const Slot&, const Slot&) = default;
};

// The number of slots of a new object, 0..kMaxSlots.
struct SlotCount {
  int count = 0;
  friend auto operator<=>(const SlotCount&, const SlotCount&) = default;
};

// `fin=KIND`; absent means none.
struct FinalizerField {
  Finalizer kind = Finalizer::none;
  friend auto operator<=>(const FinalizerField&, const FinalizerField&) = default;
};

// `bytes=K`, the payload of a new object, 0..kMaxPayload; absent means 0.
struct PayloadField {
  std::uint32_t bytes = 0;
  friend auto operator<=>(const PayloadField&, const PayloadField&) = default;
};

// An optional keyword: present or not. `Word` names the keyword.
template <class Word>
struct Flag {
  bool on = false;
  friend auto operator<=>(const Flag&, const Flag&) = default;
};
struct CallbackWord {
  static constexpr std::string_view text = "cb";
};
struct YoungWord {
  static constexpr std::string_view text = "young";
};

// `revived` or `garbage`.
struct ListField {
  RootList list = RootList::revived;
  friend auto operator<=>(const ListField&, const ListField&) = default;
};

// A non-negative integer.
struct Count {
  std::int64_t value = 0;
  friend auto operator<=>(const Count&, const Count&) = default;
};

// One or more `@N`.
struct ObjectList {
  std::vector<ObjectId> ids;
  friend auto operator<=>(const ObjectList&, const ObjectList&) = default;
};

// Optional trailing `when POLICY...`: the expectation holds only under those policies.
// An empty mask means every policy.
struct PolicyFilter {
  std::uint8_t mask = 0;
  bool applies_to(Policy p) const { return mask == 0 || (mask & (1u << static_cast<int>(p))); }
  friend auto operator<=>(const PolicyFilter&, const PolicyFilter&) = default;
};

// ---- The operations (SPEC.md section 1.3). ----

struct Alloc {  // alloc V N [fin=K] [bytes=B]: V = new object with N slots, B bytes of payload
  static constexpr std::string_view keyword = "alloc";
  Var var;
  SlotCount slots;
  FinalizerField fin;
  PayloadField payload;
};
struct Link {  // link V S W: V.slot[S] = W's object
  static constexpr std::string_view keyword = "link";
  Var target;
  Slot slot;
  Var source;
};
struct Unlink {  // unlink V S: V.slot[S] = null
  static constexpr std::string_view keyword = "unlink";
  Var target;
  Slot slot;
};
struct Load {  // load V W S: V = W.slot[S]
  static constexpr std::string_view keyword = "load";
  Var var;
  Var source;
  Slot slot;
};
struct Copy {  // copy V W: V = W
  static constexpr std::string_view keyword = "copy";
  Var var;
  Var source;
};
struct Drop {  // drop V: forget a weak V, then release a strong V
  static constexpr std::string_view keyword = "drop";
  Var var;
};
struct Weak {  // weak W V [cb]: W = weak reference to V's object
  static constexpr std::string_view keyword = "weak";
  Var weak;
  Var var;
  Flag<CallbackWord> callback;
};
struct Deref {  // deref V W: V = W's referent, or null if cleared
  static constexpr std::string_view keyword = "deref";
  Var var;
  Var weak;
};
struct Collect {  // collect [young]
  static constexpr std::string_view keyword = "collect";
  Flag<YoungWord> young;
};
struct Clear {  // clear revived|garbage
  static constexpr std::string_view keyword = "clear";
  ListField list;
};

// Assertions, for hand-written regression traces. They change nothing.
struct ExpectCollected {  // the last collect returned N
  static constexpr std::string_view keyword = "expect collected";
  Count count;
  PolicyFilter when;
};
enum class ObjectFact : std::uint8_t { freed, alive, finalized, garbage };
template <ObjectFact F>
struct ExpectObjects {  // every listed object is freed / alive / was finalized / is in garbage
  static constexpr ObjectFact fact = F;
  static constexpr std::string_view keyword = F == ObjectFact::freed       ? "expect freed"
                                              : F == ObjectFact::alive     ? "expect alive"
                                              : F == ObjectFact::finalized ? "expect finalized"
                                                                           : "expect garbage";
  ObjectList ids;
  PolicyFilter when;
};
using ExpectFreed = ExpectObjects<ObjectFact::freed>;
using ExpectAlive = ExpectObjects<ObjectFact::alive>;
using ExpectFinalized = ExpectObjects<ObjectFact::finalized>;
using ExpectGarbage = ExpectObjects<ObjectFact::garbage>;
struct ExpectRefcount {  // V's object has N strong references
  static constexpr std::string_view keyword = "expect refcount";
  Var var;
  Count count;
  PolicyFilter when;
};

using Op = std::variant<Alloc, Link, Unlink, Load, Copy, Drop, Weak, Deref, Collect, Clear,
                        ExpectCollected, ExpectFreed, ExpectAlive, ExpectFinalized, ExpectGarbage,
                        ExpectRefcount>;

template <class T>
concept OpType = requires {
  T::keyword;
};

template <class T>
concept ExpectOp = OpType<T> && requires(T t) {
  t.when;
};

// An expectation's policy filter; every policy for a mutator op.
inline PolicyFilter when_of(const Op& op) {
  return std::visit(
      [](const auto& o) {
        if constexpr (ExpectOp<std::decay_t<decltype(o)>>) {
          return o.when;
        } else {
          return PolicyFilter{};
        }
      },
      op);
}

// Equality and hashing of every op, field by field, through Boost.PFR.
template <OpType T>
bool operator==(const T& a, const T& b) {
  return boost::pfr::structure_tie(a) == boost::pfr::structure_tie(b);
}

std::size_t hash_value(const Op& op);

// The variable names an op mentions, strong or weak, in field order.
inline std::vector<std::string_view> variable_names(const Op& op) {
  std::vector<std::string_view> names;
  std::visit(
      [&](const auto& o) {
        boost::pfr::for_each_field(o, [&](const auto& field) {
          if constexpr (std::is_same_v<std::decay_t<decltype(field)>, Var>) {
            names.push_back(field.name);
          }
        });
      },
      op);
  return names;
}

inline bool is_expectation(const Op& op) {
  return std::visit([](const auto& o) { return ExpectOp<std::decay_t<decltype(o)>>; }, op);
}

// A trace: the comment block that opens the file (without `#`), then the ops.
struct Trace {
  std::vector<std::string> header;
  std::vector<Op> ops;
  friend bool operator==(const Trace&, const Trace&) = default;
};

}  // namespace gcfuzz
