// The trace mutations: one small function per mutation, in a table by name, each drawing
// its arguments from the names the trace already uses (plus one fresh name), so ops connect.
#include "harness/trace/mutator.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <string>
#include <type_traits>

#include "harness/trace/sizes.h"
#include "harness/trace/text.h"
#include "model/model.h"

namespace gcfuzz {

namespace {

// Fresh names come from these pools, in order: few names, so ops keep meeting the same
// objects. The same pools as the RapidCheck generators (harness/trace/generators.cpp).
constexpr std::array<std::string_view, 6> kStrongPool = {"a", "b", "c", "d", "e", "f"};
constexpr std::array<std::string_view, 3> kWeakPool = {"w0", "w1", "w2"};

// REQUIRES: n > 0.
std::size_t below(MutationRng& rng, std::size_t n) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}
bool one_in(MutationRng& rng, std::size_t n) {
  return below(rng, n) == 0;
}
// REQUIRES: weights not all zero.
template <std::size_t N>
std::size_t weighted(MutationRng& rng, const std::array<int, N>& weights) {
  int total = 0;
  for (int w : weights) total += w;
  int r = static_cast<int>(below(rng, static_cast<std::size_t>(total)));
  for (std::size_t i = 0; i < N; ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return N - 1;
}

// ---- Names ----

enum class Namespace { strong, weak, either };

// Which namespace an op's Var field `index` is in (ops.h: only `weak` binds weak names, only
// `deref` reads them, `drop` takes either).
template <class T>
constexpr Namespace namespace_of(std::size_t index) {
  if constexpr (std::is_same_v<T, Weak>) return index == 0 ? Namespace::weak : Namespace::strong;
  if constexpr (std::is_same_v<T, Deref>) return index == 1 ? Namespace::weak : Namespace::strong;
  if constexpr (std::is_same_v<T, Drop>) return Namespace::either;
  return Namespace::strong;
}

// The names an argument may take: those the trace uses in that namespace, sorted, plus the
// first pool name it does not use yet; and those bound at the position the op goes to.
struct Names {
  std::vector<std::string> strong;
  std::vector<std::string> weak;
  std::vector<std::string> bound_strong;
  std::vector<std::string> bound_weak;
};

// Which names ops before `position` leave bound: a guess from the ops alone, as the
// RapidCheck generators make (the model decides what ops do).
void add_bound_names(const Trace& trace, std::size_t position, Names& names) {
  std::set<std::string> strong, weak;
  for (std::size_t i = 0; i < std::min(position, trace.ops.size()); ++i) {
    std::visit(
        [&](const auto& o) {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, Alloc> || std::is_same_v<T, Load> ||
                        std::is_same_v<T, Copy> || std::is_same_v<T, Deref>) {
            strong.insert(o.var.name);
          } else if constexpr (std::is_same_v<T, Weak>) {
            weak.insert(o.weak.name);
          } else if constexpr (std::is_same_v<T, Drop>) {
            strong.erase(o.var.name);
            weak.erase(o.var.name);
          }
        },
        trace.ops[i]);
  }
  names.bound_strong.assign(strong.begin(), strong.end());
  names.bound_weak.assign(weak.begin(), weak.end());
}

Names names_of(const Trace& trace, std::size_t position) {
  std::set<std::string> strong, weak, dropped;
  for (const Op& op : trace.ops) {
    std::visit(
        [&](const auto& o) {
          using T = std::decay_t<decltype(o)>;
          boost::pfr::for_each_field(o, [&](const auto& field, std::size_t index) {
            if constexpr (std::is_same_v<std::decay_t<decltype(field)>, Var>) {
              switch (namespace_of<T>(index)) {
                case Namespace::strong:
                  strong.insert(field.name);
                  break;
                case Namespace::weak:
                  weak.insert(field.name);
                  break;
                case Namespace::either:
                  dropped.insert(field.name);
                  break;
              }
            }
          });
        },
        op);
  }
  for (const std::string& name : dropped) {
    if (!weak.contains(name)) strong.insert(name);
  }
  auto with_fresh = [](const std::set<std::string>& used, const auto& pool) {
    std::vector<std::string> names(used.begin(), used.end());
    for (std::string_view candidate : pool) {
      if (!used.contains(std::string(candidate))) {
        names.emplace_back(candidate);
        break;
      }
    }
    if (names.empty()) names.emplace_back(pool.front());
    return names;
  };
  Names names{with_fresh(strong, kStrongPool), with_fresh(weak, kWeakPool), {}, {}};
  add_bound_names(trace, position, names);
  return names;
}

template <class T>
const T& pick(MutationRng& rng, const std::vector<T>& choices) {
  return choices[below(rng, choices.size())];
}

// A name an op reads is mostly a bound one; sometimes any (an unbound source makes the op
// a no-op, which collectors must get right too). A name an op binds is any name.
enum class Use { read, bind };

Var draw_name(MutationRng& rng, const Names& names, Namespace ns, Use use = Use::read) {
  if (ns == Namespace::either) ns = one_in(rng, 4) ? Namespace::weak : Namespace::strong;
  const bool weak = ns == Namespace::weak;
  const std::vector<std::string>& bound = weak ? names.bound_weak : names.bound_strong;
  if (use == Use::read && !bound.empty() && !one_in(rng, 10)) return Var{pick(rng, bound)};
  return Var{pick(rng, weak ? names.weak : names.strong)};
}

// ---- Arguments ----

// Mostly a slot the object `owner` was last allocated with (looking back from `position`),
// sometimes any slot (past the end: a no-op, which collectors must get right too).
Slot draw_slot(MutationRng& rng, const Trace& trace, std::size_t position, std::string_view owner) {
  int slots = 0;
  for (std::size_t i = std::min(position, trace.ops.size()); i-- > 0;) {
    if (const auto* a = std::get_if<Alloc>(&trace.ops[i]); a && a->var.name == owner) {
      slots = a->slots.count;
      break;
    }
  }
  if (one_in(rng, 8)) return Slot{static_cast<int>(below(rng, kMaxSlots))};
  return Slot{static_cast<int>(below(rng, slots > 0 ? slots : 3))};
}

SlotCount draw_slot_count(MutationRng& rng) {
  static constexpr std::array<int, 5> kWeights = {2, 3, 3, 2, 1};  // 0, 1, 2, 3, 4..16
  const std::size_t choice = weighted(rng, kWeights);
  if (choice < 4) return SlotCount{static_cast<int>(choice)};
  return SlotCount{4 + static_cast<int>(below(rng, kMaxSlots - 3))};
}

FinalizerField draw_finalizer(MutationRng& rng) {
  static constexpr std::array<int, 5> kWeights = {10, 3, 3, 3, 3};  // kFinalizerNames order
  return FinalizerField{static_cast<Finalizer>(weighted(rng, kWeights))};
}

// A payload size from the mixed shape's buckets (sizes.h), as the RapidCheck generator draws.
PayloadField draw_payload(MutationRng& rng) {
  const int point =
      static_cast<int>(below(rng, static_cast<std::size_t>(total_weight(HeapShape::mixed))));
  const auto draw = [&] { return static_cast<std::uint32_t>(below(rng, std::size_t{1} << 32)); };
  const std::uint32_t a = draw();
  return PayloadField{draw_size(HeapShape::mixed, point, a, draw())};
}

// The variable whose object a slot argument indexes.
template <class T>
std::string_view slot_owner(const T& op) {
  if constexpr (std::is_same_v<T, Link> || std::is_same_v<T, Unlink>) {
    return op.target.name;
  } else if constexpr (std::is_same_v<T, Load>) {
    return op.source.name;
  } else {
    return {};
  }
}

std::uint32_t allocations_in(const Trace& trace) {
  return static_cast<std::uint32_t>(
      std::count_if(trace.ops.begin(), trace.ops.end(),
                    [](const Op& op) { return std::holds_alternative<Alloc>(op); }));
}

// ---- Ops ----

enum class Kind { alloc, link, unlink, load, copy, drop, weak, deref, collect, clear };
constexpr std::array<int, 10> kKindWeights = {4, 5, 2, 2, 2, 4, 2, 2, 3, 1};

// A random mutator op for `position` in `trace`.
Op random_op(MutationRng& rng, const Trace& trace, std::size_t position) {
  const Names names = names_of(trace, position);
  auto strong = [&] { return draw_name(rng, names, Namespace::strong); };
  auto bind = [&] { return draw_name(rng, names, Namespace::strong, Use::bind); };
  switch (static_cast<Kind>(weighted(rng, kKindWeights))) {
    case Kind::alloc: {
      Var var = bind();
      const SlotCount slots = draw_slot_count(rng);
      return Alloc{std::move(var), slots, draw_finalizer(rng), draw_payload(rng)};
    }
    case Kind::link: {
      Var target = strong();
      const Slot slot = draw_slot(rng, trace, position, target.name);
      return Link{std::move(target), slot, strong()};
    }
    case Kind::unlink: {
      Var target = strong();
      const Slot slot = draw_slot(rng, trace, position, target.name);
      return Unlink{std::move(target), slot};
    }
    case Kind::load: {
      Var var = bind();
      Var source = strong();
      const Slot slot = draw_slot(rng, trace, position, source.name);
      return Load{std::move(var), std::move(source), slot};
    }
    case Kind::copy: {
      Var var = bind();
      return Copy{std::move(var), strong()};
    }
    case Kind::drop:
      return Drop{draw_name(rng, names, Namespace::either)};
    case Kind::weak: {
      Var weak = draw_name(rng, names, Namespace::weak, Use::bind);
      Var var = strong();
      return Weak{std::move(weak), std::move(var), Flag<CallbackWord>{one_in(rng, 2)}};
    }
    case Kind::deref: {
      Var var = bind();
      return Deref{std::move(var), draw_name(rng, names, Namespace::weak)};
    }
    case Kind::collect:
      return Collect{Flag<YoungWord>{below(rng, 5) < 2}};
    case Kind::clear:
      return Clear{ListField{one_in(rng, 2) ? RootList::revived : RootList::garbage}};
  }
  return Collect{};
}

// An expectation that `policy`'s own model meets at `position`, or nullopt when the drawn
// kind has nothing to say there (no collection yet, no bound variable, no object).
std::optional<Op> model_fact(MutationRng& rng, const Trace& trace, std::size_t position,
                             Policy policy) {
  Model model(ModelOptions{.policy = policy});
  for (std::size_t i = 0; i < position; ++i) {
    if (!is_expectation(trace.ops[i])) model.apply(trace.ops[i]);
  }
  const PolicyFilter when{static_cast<std::uint8_t>(1u << static_cast<int>(policy))};
  std::optional<Op> fact;
  switch (below(rng, 3)) {
    case 0:
      if (const auto collected = model.last_collected()) {
        fact = ExpectCollected{Count{*collected}, when};
      }
      break;
    case 1: {
      std::vector<std::string> bound;
      for (const std::string& name : names_of(trace, position).strong) {
        if (model.variable(name)) bound.push_back(name);
      }
      if (!bound.empty()) {
        const std::string& name = pick(rng, bound);
        fact = ExpectRefcount{Var{name}, Count{model.refcount(*model.variable(name))}, when};
      }
      break;
    }
    default: {
      if (model.object_count() == 0) break;
      const ObjectId id{static_cast<std::uint32_t>(below(rng, model.object_count()))};
      const ObjectList ids{{id}};
      const std::vector<ObjectId> garbage = model.garbage();
      if (std::binary_search(garbage.begin(), garbage.end(), id) && one_in(rng, 2)) {
        fact = ExpectGarbage{ids, when};
      } else if (model.times_finalized(id) > 0 && one_in(rng, 2)) {
        fact = ExpectFinalized{ids, when};
      } else if (model.is_freed(id)) {
        fact = ExpectFreed{ids, when};
      } else {
        fact = ExpectAlive{ids, when};
      }
    }
  }
  if (fact && model.check(*fact)) return std::nullopt;  // ENSURES: the model meets it
  return fact;
}

// ---- Changing one argument ----

struct Redraw {
  MutationRng& rng;
  const Trace& trace;
  std::size_t position;
  const Names& names;
};

void redraw(Redraw& r, Var& v, Namespace ns, std::string_view) {
  v = draw_name(r.rng, r.names, ns);
}
void redraw(Redraw& r, Slot& s, Namespace, std::string_view owner) {
  s = draw_slot(r.rng, r.trace, r.position, owner);
}
void redraw(Redraw& r, SlotCount& s, Namespace, std::string_view) {
  s = draw_slot_count(r.rng);
}
void redraw(Redraw& r, FinalizerField& f, Namespace, std::string_view) {
  f.kind = static_cast<Finalizer>((static_cast<std::size_t>(f.kind) + 1 + below(r.rng, 4)) %
                                  kFinalizerNames.size());
}
// A fresh size; or the size nudged by up to 16 bytes, or moved to a nearby power of two give or
// take up to 64 bytes (an object's header and slots come on top of its payload): where size
// classes and chunk ends are.
void redraw(Redraw& r, PayloadField& p, Namespace, std::string_view) {
  const auto delta = [&] { return static_cast<std::int64_t>(below(r.rng, 33)) - 16; };
  const auto wide_delta = [&] { return static_cast<std::int64_t>(below(r.rng, 129)) - 64; };
  std::int64_t size = p.bytes;
  switch (below(r.rng, 3)) {
    case 0:
      p = draw_payload(r.rng);
      return;
    case 1:
      size += delta();
      break;
    default: {
      int e = 4;
      while (e < 24 && (std::int64_t{1} << (e + 1)) <= size) ++e;
      e += static_cast<int>(below(r.rng, 3)) - 1;
      size = (std::int64_t{1} << std::clamp(e, 4, 23)) + wide_delta();
      break;
    }
  }
  p.bytes = static_cast<std::uint32_t>(std::clamp<std::int64_t>(size, 0, kMaxPayload));
}
template <class Word>
void redraw(Redraw&, Flag<Word>& f, Namespace, std::string_view) {
  f.on = !f.on;
}
void redraw(Redraw&, ListField& l, Namespace, std::string_view) {
  l.list = l.list == RootList::revived ? RootList::garbage : RootList::revived;
}
void redraw(Redraw& r, Count& c, Namespace, std::string_view) {
  if (one_in(r.rng, 2) || c.value == 0) {
    c.value = one_in(r.rng, 2) ? std::min(c.value + 1, kMaxCount)
                               : static_cast<std::int64_t>(below(r.rng, 5));
  } else {
    c.value -= 1;
  }
}
void redraw(Redraw& r, ObjectList& l, Namespace, std::string_view) {
  const ObjectId drawn{static_cast<std::uint32_t>(below(r.rng, allocations_in(r.trace) + 2))};
  if (l.ids.empty()) {
    l.ids.push_back(drawn);
  } else if (l.ids.size() > 1 && one_in(r.rng, 3)) {
    l.ids.erase(l.ids.begin() + static_cast<std::ptrdiff_t>(below(r.rng, l.ids.size())));
  } else if (one_in(r.rng, 3)) {
    l.ids.push_back(drawn);
  } else {
    l.ids[below(r.rng, l.ids.size())] = drawn;
  }
}
void redraw(Redraw& r, PolicyFilter& p, Namespace, std::string_view) {
  p.mask ^= static_cast<std::uint8_t>(1u << below(r.rng, kPolicyNames.size()));
}

// ---- The mutations ----

struct Context {
  MutationRng& rng;
  const MutatorOptions& options;
};

bool insert_op(Trace& t, Context& c) {
  const std::size_t at = below(c.rng, t.ops.size() + 1);
  Op op = random_op(c.rng, t, at);
  t.ops.insert(t.ops.begin() + static_cast<std::ptrdiff_t>(at), std::move(op));
  return true;
}

// A run of two to eight new ops: a bigger step than one op at a time.
bool insert_ops(Trace& t, Context& c) {
  std::size_t at = below(c.rng, t.ops.size() + 1);
  const std::size_t count = 2 + below(c.rng, 7);
  for (std::size_t i = 0; i < count; ++i, ++at) {
    Op op = random_op(c.rng, t, at);
    t.ops.insert(t.ops.begin() + static_cast<std::ptrdiff_t>(at), std::move(op));
  }
  return true;
}

bool insert_expectation(Trace& t, Context& c) {
  if (c.options.policies.empty()) return false;
  const std::size_t at = below(c.rng, t.ops.size() + 1);
  std::optional<Op> fact = model_fact(c.rng, t, at, pick(c.rng, c.options.policies));
  if (!fact) return false;
  t.ops.insert(t.ops.begin() + static_cast<std::ptrdiff_t>(at), std::move(*fact));
  return true;
}

// One op, sometimes a run of up to four.
bool delete_ops(Trace& t, Context& c) {
  if (t.ops.empty()) return false;
  const std::size_t from = below(c.rng, t.ops.size());
  const std::size_t count =
      std::min(t.ops.size() - from, one_in(c.rng, 4) ? 1 + below(c.rng, 4) : 1);
  const auto first = t.ops.begin() + static_cast<std::ptrdiff_t>(from);
  t.ops.erase(first, first + static_cast<std::ptrdiff_t>(count));
  return true;
}

bool duplicate_op(Trace& t, Context& c) {
  if (t.ops.empty()) return false;
  Op op = t.ops[below(c.rng, t.ops.size())];
  t.ops.insert(t.ops.begin() + static_cast<std::ptrdiff_t>(below(c.rng, t.ops.size() + 1)),
               std::move(op));
  return true;
}

bool replace_op(Trace& t, Context& c) {
  if (t.ops.empty()) return false;
  const std::size_t at = below(c.rng, t.ops.size());
  t.ops[at] = random_op(c.rng, t, at);
  return true;
}

bool swap_ops(Trace& t, Context& c) {
  if (t.ops.size() < 2) return false;
  const std::size_t i = below(c.rng, t.ops.size());
  const std::size_t j = (i + 1 + below(c.rng, t.ops.size() - 1)) % t.ops.size();
  std::swap(t.ops[i], t.ops[j]);
  return true;
}

bool change_argument(Trace& t, Context& c) {
  if (t.ops.empty()) return false;
  const std::size_t at = below(c.rng, t.ops.size());
  const Names names = names_of(t, at);
  Redraw r{c.rng, t, at, names};
  Op op = t.ops[at];
  const bool changed = std::visit(
      [&](auto& o) {
        using T = std::decay_t<decltype(o)>;
        constexpr std::size_t fields = boost::pfr::tuple_size_v<T>;
        if constexpr (fields == 0) {
          return false;
        } else {
          const std::size_t chosen = below(c.rng, fields);
          const std::string owner(slot_owner(o));
          boost::pfr::for_each_field(o, [&](auto& field, std::size_t index) {
            if (index == chosen) redraw(r, field, namespace_of<T>(index), owner);
          });
          return true;
        }
      },
      op);
  t.ops[at] = std::move(op);
  return changed;
}

// One alloc's payload redrawn: a fresh size, a nudge of a few bytes, or a nearby power of two
// give or take a few bytes. change_argument reaches a size only once in (ops x fields) draws,
// and a bug at a size class or a chunk's end needs its size within a few bytes.
bool resize_object(Trace& t, Context& c) {
  std::vector<std::size_t> allocs;
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    if (std::holds_alternative<Alloc>(t.ops[i])) allocs.push_back(i);
  }
  if (allocs.empty()) return false;
  const std::size_t at = allocs[below(c.rng, allocs.size())];
  const Names no_names;  // a size draws no name: no walk of the trace for its names
  Redraw r{c.rng, t, at, no_names};
  redraw(r, std::get<Alloc>(t.ops[at]).payload, Namespace::either, "");
  return true;
}

// Every use of one name becomes another (joins two variables' stories, or splits them).
bool rename_variable(Trace& t, Context& c) {
  const Names names = names_of(t, 0);
  std::vector<std::string> all = names.strong;
  all.insert(all.end(), names.weak.begin(), names.weak.end());
  const std::string from = pick(c.rng, all);
  const bool weak = std::find(names.weak.begin(), names.weak.end(), from) != names.weak.end();
  const std::string to = pick(c.rng, weak ? names.weak : names.strong);
  if (from == to) return false;
  for (Op& op : t.ops) {
    std::visit(
        [&](auto& o) {
          boost::pfr::for_each_field(o, [&](auto& field) {
            if constexpr (std::is_same_v<std::decay_t<decltype(field)>, Var>) {
              if (field.name == from) field.name = to;
            }
          });
        },
        op);
  }
  return true;
}

// One op's text through the byte-level mutator (libFuzzer's, with the dictionary), kept
// only if it still parses as one op.
bool mutate_op_bytes(Trace& t, Context& c) {
  if (t.ops.empty() || !c.options.mutate_bytes) return false;
  const std::size_t at = below(c.rng, t.ops.size());
  std::string text = print_op(t.ops[at]);
  const std::size_t size = text.size();
  text.resize(2 * size + 32);
  const std::size_t new_size =
      c.options.mutate_bytes(reinterpret_cast<std::uint8_t*>(text.data()), size, text.size());
  text.resize(std::min(new_size, text.size()));
  const ParseResult parsed = parse_trace(text, "");
  if (!parsed.parsed || parsed.parsed->trace.ops.size() != 1) return false;
  t.ops[at] = parsed.parsed->trace.ops.front();
  return true;
}

struct Mutation {
  std::string_view name;
  bool (*apply)(Trace&, Context&);
  int weight;
};

constexpr std::array<Mutation, 11> kMutations = {{
    {"insert_op", insert_op, 6},
    {"insert_ops", insert_ops, 2},
    {"insert_expectation", insert_expectation, 1},
    {"delete_ops", delete_ops, 4},
    {"duplicate_op", duplicate_op, 2},
    {"replace_op", replace_op, 2},
    {"swap_ops", swap_ops, 2},
    {"change_argument", change_argument, 6},
    {"resize_object", resize_object, 2},
    {"rename_variable", rename_variable, 1},
    {"mutate_op_bytes", mutate_op_bytes, 2},
}};

// The weights of the mutations that can run under these options.
std::array<int, kMutations.size()> weights_for(const MutatorOptions& options) {
  std::array<int, kMutations.size()> weights{};
  for (std::size_t i = 0; i < kMutations.size(); ++i) {
    const Mutation& m = kMutations[i];
    const bool usable = (m.apply != mutate_op_bytes || options.mutate_bytes) &&
                        (m.apply != insert_expectation || !options.policies.empty());
    weights[i] = usable ? m.weight : 0;
  }
  return weights;
}

}  // namespace

std::vector<std::string_view> mutation_names(const MutatorOptions& options) {
  std::vector<std::string_view> names;
  const auto weights = weights_for(options);
  for (std::size_t i = 0; i < kMutations.size(); ++i) {
    if (weights[i] > 0) names.push_back(kMutations[i].name);
  }
  return names;
}

Trace random_trace(MutationRng& rng, std::size_t ops, const MutatorOptions& options) {
  Trace t;
  while (t.ops.size() < std::min(ops, options.max_ops))
    t.ops.push_back(random_op(rng, t, t.ops.size()));
  return t;
}

std::vector<bool> failing_expectations(const Trace& trace, const std::vector<Policy>& policies) {
  std::vector<bool> fails(trace.ops.size(), false);
  if (std::none_of(trace.ops.begin(), trace.ops.end(), is_expectation)) return fails;
  for (Policy policy : policies) {
    Model model(ModelOptions{.policy = policy});
    for (std::size_t i = 0; i < trace.ops.size(); ++i) {
      const Op& op = trace.ops[i];
      if (!is_expectation(op)) {
        model.apply(op);
      } else if (when_of(op).applies_to(policy) && model.check(op)) {
        fails[i] = true;
      }
    }
  }
  return fails;
}

void drop_failing_expectations(Trace& trace, const std::vector<Policy>& policies) {
  const std::vector<bool> fails = failing_expectations(trace, policies);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < trace.ops.size(); ++i) {
    if (fails[i]) continue;
    if (kept != i) trace.ops[kept] = std::move(trace.ops[i]);
    ++kept;
  }
  trace.ops.resize(kept);
}

std::vector<std::string_view> mutate_trace(Trace& trace, MutationRng& rng,
                                           const MutatorOptions& options) {
  Context c{rng, options};
  const auto weights = weights_for(options);
  std::size_t count = 1;
  while (count < 4 && one_in(rng, 2)) ++count;
  std::vector<std::string_view> applied;
  // A mutation that does not apply (deleting from an empty trace) is drawn again; inserting
  // always applies, so this ends.
  while (applied.size() < count) {
    const Mutation& m = kMutations[weighted(rng, weights)];
    if (m.apply(trace, c)) applied.push_back(m.name);
  }
  if (trace.ops.size() > options.max_ops) trace.ops.resize(options.max_ops);
  drop_failing_expectations(trace, options.policies);
  return applied;
}

Trace splice_traces(const Trace& first, const Trace& second, MutationRng& rng,
                    const MutatorOptions& options) {
  const std::size_t prefix = below(rng, first.ops.size() + 1);
  const std::size_t suffix_from = below(rng, second.ops.size() + 1);
  Trace t;
  t.ops.assign(first.ops.begin(), first.ops.begin() + static_cast<std::ptrdiff_t>(prefix));
  t.ops.insert(t.ops.end(), second.ops.begin() + static_cast<std::ptrdiff_t>(suffix_from),
               second.ops.end());
  if (t.ops.size() > options.max_ops) t.ops.resize(options.max_ops);
  drop_failing_expectations(t, options.policies);
  return t;
}

std::string print_within(Trace& trace, std::size_t max_bytes, MutationRng& rng) {
  std::string text = print_trace(trace);
  if (text.size() <= max_bytes) return text;
  trace.header.clear();
  std::vector<std::size_t> lengths;
  std::size_t total = 0;
  for (const Op& op : trace.ops) total += lengths.emplace_back(print_op(op).size() + 1);
  while (total > max_bytes) {
    const std::size_t at = below(rng, trace.ops.size());
    total -= lengths[at];
    lengths.erase(lengths.begin() + static_cast<std::ptrdiff_t>(at));
    trace.ops.erase(trace.ops.begin() + static_cast<std::ptrdiff_t>(at));
  }
  return print_trace(trace);
}

}  // namespace gcfuzz
