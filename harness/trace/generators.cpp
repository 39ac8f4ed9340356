// The trace generator: one RapidCheck state command per op.
#include "harness/trace/generators.h"

#include <array>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <rapidcheck/state.h>

#include "harness/trace/text.h"

namespace gcfuzz {

namespace {

// What the generator knows of the trace so far: which names are bound, and to objects of
// how many slots when it can tell. It is not the heap: the model decides what ops do.
struct GenState {
  static constexpr int kUnbound = -1;
  static constexpr int kUnknownSlots = 2;  // after load or deref: some object, or null
  std::vector<int> strong;                 // per strong name: slot count, or kUnbound
  std::vector<bool> weak;                  // per weak name: bound
  std::uint64_t payload = 0;               // bytes of payload allocated so far
  HeapShape heap = HeapShape::mixed;
};

struct NoSystem {};

// One op of the trace as a RapidCheck command, or several for an allocation burst (which
// shrinking removes or shortens as one); applying it updates what is bound.
struct OpCommand final : rc::state::Command<GenState, NoSystem> {
  explicit OpCommand(Op o) { ops.push_back(std::move(o)); }
  explicit OpCommand(std::vector<Op> o) : ops(std::move(o)) {}
  std::vector<Op> ops;

  void apply(GenState& s) const override;
  void show(std::ostream& os) const override {
    for (const Op& op : ops) os << print_op(op) << '\n';
  }
};

using CommandPtr = std::shared_ptr<const rc::state::Command<GenState, NoSystem>>;

void apply_one(GenState& s, const Op& op);

std::string strong_name(int i) {
  return std::string(1, static_cast<char>('a' + i));
}
std::string weak_name(int i) {
  return fmt::format("w{}", i);
}
// Strong names are single letters before 'w'; weak names are w0, w1, ...
bool is_weak_name(const std::string& name) {
  return name.size() > 1 && name[0] == 'w';
}
int strong_index(const std::string& name) {
  return name[0] - 'a';
}
int weak_index(const std::string& name) {
  return std::stoi(name.substr(1));
}

void OpCommand::apply(GenState& s) const {
  for (const Op& op : ops) apply_one(s, op);
}

void apply_one(GenState& s, const Op& op) {
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Alloc>) {
          s.strong[strong_index(o.var.name)] = o.slots.count;
          s.payload += o.payload.bytes;
        } else if constexpr (std::is_same_v<T, Load> || std::is_same_v<T, Deref>) {
          s.strong[strong_index(o.var.name)] = GenState::kUnknownSlots;
        } else if constexpr (std::is_same_v<T, Copy>) {
          const int source = s.strong[strong_index(o.source.name)];
          if (source != GenState::kUnbound) s.strong[strong_index(o.var.name)] = source;
        } else if constexpr (std::is_same_v<T, Drop>) {
          if (is_weak_name(o.var.name)) {
            s.weak[weak_index(o.var.name)] = false;
          } else {
            s.strong[strong_index(o.var.name)] = GenState::kUnbound;
          }
        } else if constexpr (std::is_same_v<T, Weak>) {
          if (s.strong[strong_index(o.var.name)] != GenState::kUnbound) {
            s.weak[weak_index(o.weak.name)] = true;
          }
        }
      },
      op);
}

// Mostly a bound name; sometimes any name (an unbound source makes a no-op, which shrinking
// relies on and which collectors must get right too).
rc::Gen<std::string> gen_strong(const GenState& s) {
  std::vector<std::string> all, bound;
  for (int i = 0; i < static_cast<int>(s.strong.size()); ++i) {
    all.push_back(strong_name(i));
    if (s.strong[i] != GenState::kUnbound) bound.push_back(strong_name(i));
  }
  if (bound.empty()) return rc::gen::elementOf(all);
  return rc::gen::weightedOneOf<std::string>(
      {{9, rc::gen::elementOf(bound)}, {1, rc::gen::elementOf(all)}});
}

rc::Gen<std::string> gen_weak(const GenState& s) {
  std::vector<std::string> all, bound;
  for (int i = 0; i < static_cast<int>(s.weak.size()); ++i) {
    all.push_back(weak_name(i));
    if (s.weak[i]) bound.push_back(weak_name(i));
  }
  if (bound.empty()) return rc::gen::elementOf(all);
  return rc::gen::weightedOneOf<std::string>(
      {{4, rc::gen::elementOf(bound)}, {1, rc::gen::elementOf(all)}});
}

// A slot of `target`: in range mostly, sometimes past the end (a no-op).
rc::Gen<int> gen_slot(const GenState& s, const std::string& target) {
  const int slots = s.strong[strong_index(target)];
  if (slots <= 0) return rc::gen::inRange(0, 2);
  return rc::gen::weightedOneOf<int>(
      {{12, rc::gen::inRange(0, slots)}, {1, rc::gen::inRange(0, kMaxSlots)}});
}

rc::Gen<int> gen_slot_count() {
  return rc::gen::weightedOneOf<int>({{3, rc::gen::just(1)},
                                      {3, rc::gen::just(2)},
                                      {2, rc::gen::just(0)},
                                      {2, rc::gen::just(3)},
                                      {1, rc::gen::inRange(4, kMaxSlots + 1)}});
}

rc::Gen<Finalizer> gen_finalizer() {
  return rc::gen::weightedOneOf<Finalizer>({{10, rc::gen::just(Finalizer::none)},
                                            {3, rc::gen::just(Finalizer::log)},
                                            {3, rc::gen::just(Finalizer::resurrect)},
                                            {3, rc::gen::just(Finalizer::alloc)},
                                            {3, rc::gen::just(Finalizer::legacy)}});
}

// A payload size from the shape's buckets (sizes.h); 0 once the trace has used its budget.
rc::Gen<std::uint32_t> gen_payload(const GenState& s) {
  if (s.payload >= kGeneratedPayloadBudget) return rc::gen::just(std::uint32_t{0});
  // A bucket by weight, then a size in it, from the generator's random source. A size shrinks
  // in one step, to 0 (no payload): a boundary bug needs its exact size, and shrinking it bit
  // by bit would cost every alloc of a failing trace a dozen candidate traces.
  return rc::Gen<std::uint32_t>([heap = s.heap](const rc::Random& random, int) {
    rc::Random r = random;
    const int point = static_cast<int>(r.next() % static_cast<std::uint64_t>(total_weight(heap)));
    const std::uint64_t bits = r.next();
    const std::uint32_t size = draw_size(heap, point, static_cast<std::uint32_t>(bits),
                                         static_cast<std::uint32_t>(bits >> 32));
    return rc::shrinkable::shrinkRecur(size, [](std::uint32_t v) {
      return v == 0 ? rc::Seq<std::uint32_t>() : rc::seq::just(std::uint32_t{0});
    });
  });
}

template <class T>
CommandPtr command(T op) {
  return std::make_shared<const OpCommand>(Op{std::move(op)});
}

enum class Kind { alloc, link, unlink, load, copy, drop, weak, deref, collect, clear, burst };

// An allocation burst: new objects, each with its own payload, into `temp` (`alloc temp 1
// bytes=B`); every fourth joins a chain that `holder` keeps (`link temp 0 holder`, `copy
// holder temp`), so the heap grows by its payloads until a drop, while the others are
// garbage as soon as the next one is allocated.
// Shrinking shortens the burst (the sizes come from one seed, not one generator each: a burst
// of 250 sizes, each shrunk on its own, would cost thousands of candidate traces).
rc::Gen<CommandPtr> gen_burst(const GenState& s) {
  using namespace rc;
  const auto count = gen::resize(100, gen::inRange(1, kBurstMax + 1));
  const auto seed = gen::noShrink(gen::resize(100, gen::inRange<std::uint32_t>(0, UINT32_MAX)));
  return gen::map(gen::tuple(gen_strong(s), gen_strong(s), count, seed), [s](const auto& t) {
    const auto& [holder, temp, objects, key] = t;
    const auto total = static_cast<std::uint32_t>(total_weight(s.heap));
    std::mt19937 rng(key);
    std::vector<Op> ops;
    std::uint64_t used = s.payload;
    for (int i = 0; i < objects; ++i) {
      const int point = static_cast<int>(rng() % total);
      const std::uint32_t a = static_cast<std::uint32_t>(rng());
      std::uint32_t size = draw_size(s.heap, point, a, static_cast<std::uint32_t>(rng()));
      if (used + size > kGeneratedPayloadBudget) size = 0;
      used += size;
      ops.push_back(Alloc{Var{temp}, SlotCount{1}, {}, PayloadField{size}});
      if (i % 4 == 3) {
        ops.push_back(Link{Var{temp}, Slot{0}, Var{holder}});
        ops.push_back(Copy{Var{holder}, Var{temp}});
      }
    }
    return CommandPtr{std::make_shared<const OpCommand>(std::move(ops))};
  });
}

// The generator of one kind of op, given what is bound.
rc::Gen<CommandPtr> gen_op(Kind kind, const GenState& s) {
  using namespace rc;
  switch (kind) {
    case Kind::alloc:
      return gen::map(
          gen::tuple(gen::inRange<int>(0, static_cast<int>(s.strong.size())), gen_slot_count(),
                     gen_finalizer(), gen_payload(s)),
          [](const std::tuple<int, int, Finalizer, std::uint32_t>& t) {
            return command(Alloc{Var{strong_name(std::get<0>(t))}, SlotCount{std::get<1>(t)},
                                 FinalizerField{std::get<2>(t)}, PayloadField{std::get<3>(t)}});
          });
    case Kind::burst:
      return gen_burst(s);
    case Kind::link:
      return gen::mapcat(gen_strong(s), [s](const std::string& target) {
        return gen::map(gen::pair(gen_slot(s, target), gen_strong(s)),
                        [target](const std::pair<int, std::string>& p) {
                          return command(Link{Var{target}, Slot{p.first}, Var{p.second}});
                        });
      });
    case Kind::unlink:
      return gen::mapcat(gen_strong(s), [s](const std::string& target) {
        return gen::map(gen_slot(s, target), [target](int slot) {
          return command(Unlink{Var{target}, Slot{slot}});
        });
      });
    case Kind::load:
      return gen::mapcat(gen_strong(s), [s](const std::string& source) {
        return gen::map(gen::pair(gen_strong(s), gen_slot(s, source)),
                        [source](const std::pair<std::string, int>& p) {
                          return command(Load{Var{p.first}, Var{source}, Slot{p.second}});
                        });
      });
    case Kind::copy:
      return gen::map(gen::pair(gen_strong(s), gen_strong(s)),
                      [](const std::pair<std::string, std::string>& p) {
                        return command(Copy{Var{p.first}, Var{p.second}});
                      });
    case Kind::drop:
      return gen::weightedOneOf<CommandPtr>(
          {{5, gen::map(gen_strong(s), [](const std::string& v) { return command(Drop{Var{v}}); })},
           {1, gen::map(gen_weak(s), [](const std::string& w) { return command(Drop{Var{w}}); })}});
    case Kind::weak:
      return gen::map(gen::tuple(gen_weak(s), gen_strong(s), gen::arbitrary<bool>()),
                      [](const std::tuple<std::string, std::string, bool>& t) {
                        return command(Weak{Var{std::get<0>(t)}, Var{std::get<1>(t)},
                                            Flag<CallbackWord>{std::get<2>(t)}});
                      });
    case Kind::deref:
      return gen::map(gen::pair(gen_strong(s), gen_weak(s)),
                      [](const std::pair<std::string, std::string>& p) {
                        return command(Deref{Var{p.first}, Var{p.second}});
                      });
    case Kind::collect:
      return gen::map(gen::weightedElement<bool>({{3, false}, {2, true}}),
                      [](bool young) { return command(Collect{Flag<YoungWord>{young}}); });
    case Kind::clear:
      return gen::map(gen::element(RootList::revived, RootList::garbage),
                      [](RootList l) { return command(Clear{ListField{l}}); });
  }
  throw std::logic_error("unknown kind of op");
}

// First the kind of op (weighted: the mix that catches the mutants fastest), then its
// arguments; only the chosen kind's generator is built.
rc::Gen<CommandPtr> gen_command(const GenState& s) {
  // A burst's weight, against the others' 97, gives about burst_per_mille bursts per 1000 ops.
  const std::size_t burst = static_cast<std::size_t>((burst_per_mille(s.heap) * 97 + 500) / 1000);
  return rc::gen::mapcat(rc::gen::weightedElement<Kind>({{burst, Kind::burst},
                                                         {18, Kind::alloc},
                                                         {22, Kind::link},
                                                         {4, Kind::unlink},
                                                         {6, Kind::load},
                                                         {4, Kind::copy},
                                                         {14, Kind::drop},
                                                         {10, Kind::weak},
                                                         {3, Kind::deref},
                                                         {12, Kind::collect},
                                                         {3, Kind::clear}}),
                         [s](Kind kind) { return gen_op(kind, s); });
}

}  // namespace

rc::Gen<Trace> trace_generator(GeneratorOptions options) {
  GenState initial;
  initial.strong.assign(options.strong_names, GenState::kUnbound);
  initial.weak.assign(options.weak_names, false);
  initial.heap = options.heap;
  return rc::gen::map(rc::state::gen::commands(initial, &gen_command),
                      [](const rc::state::Commands<rc::state::Command<GenState, NoSystem>>& cmds) {
                        Trace t;
                        t.ops.reserve(cmds.size());
                        for (const auto& c : cmds) {
                          const auto& ops = static_cast<const OpCommand&>(*c).ops;
                          t.ops.insert(t.ops.end(), ops.begin(), ops.end());
                        }
                        return t;
                      });
}

}  // namespace gcfuzz
