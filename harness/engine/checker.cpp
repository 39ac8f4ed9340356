// SPEC.md section 5: safety, integrity, finalizer discipline, exactness, reference counts.
#include "harness/engine/checker.h"

#include <algorithm>
#include <iterator>
#include <unordered_set>

#include <fmt/format.h>

#include "harness/engine/heap_reader.h"
#include "harness/trace/event_format.h"

namespace gcfuzz {

void CollectorHistory::record(const Events& events) {
  for (ObjectId id : events.finalized) {
    if (id.value >= finalized_.size()) finalized_.resize(id.value + 1, 0);
    ++finalized_[id.value];
  }
  for (ObjectId id : events.freed) {
    if (id.value >= freed_.size()) freed_.resize(id.value + 1, 0);
    freed_[id.value] = 1;
  }
  if (events.collected) last_collected_ = events.collected;
}

namespace {

// Policies under which a finalizer runs at most once per object. (Under `legacy`, a
// finalizer runs at every death, and a resurrected object can die again.)
bool finalizes_at_most_once(Policy p) {
  return p != Policy::legacy;
}

template <class T>
bool contains(const std::vector<T>& sorted, const T& value) {
  return std::binary_search(sorted.begin(), sorted.end(), value);
}

std::string ids(const std::vector<ObjectId>& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) out += (i ? " " : "") + at(list[i]);
  return out + "]";
}

std::string names(const std::vector<std::string>& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) out += (i ? " " : "") + list[i];
  return out + "]";
}

Divergence divergence(Check check, std::string detail, std::vector<ObjectId> objects = {}) {
  Divergence d;
  d.check = check;
  d.detail = std::move(detail);
  d.objects = std::move(objects);
  return d;
}

// The ids in one sorted list and not the other: what a collector did differently.
std::vector<ObjectId> symmetric_difference(const std::vector<ObjectId>& a,
                                           const std::vector<ObjectId>& b) {
  std::vector<ObjectId> out;
  std::set_symmetric_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<Divergence> check_safety(const Model& model, const Events& expected,
                                       const Events& observed) {
  const std::vector<bool> reachable = model.reachable();
  auto known = [&](ObjectId id) { return id.value < model.object_count(); };
  for (ObjectId id : observed.freed) {
    if (!known(id)) {
      return divergence(Check::exactness,
                        fmt::format("freed {}, which was never allocated", at(id)));
    }
    if (reachable[id.value]) {
      return divergence(Check::safety, fmt::format("freed {}, which is reachable", at(id)), {id});
    }
  }
  for (ObjectId id : observed.finalized) {
    if (known(id) && reachable[id.value] && !contains(expected.finalized, id)) {
      return divergence(Check::safety,
                        fmt::format("finalized {}, which is reachable and not finalizable", at(id)),
                        {id});
    }
  }
  for (const std::string& name : observed.cleared) {
    if (contains(expected.cleared, name)) continue;
    const std::optional<ObjectId> referent = model.weak_referent(name);
    if (referent && reachable[referent->value]) {
      return divergence(Check::safety,
                        fmt::format("cleared weak variable {} while its referent {} is reachable",
                                    name, at(*referent)),
                        {*referent});
    }
  }
  return std::nullopt;
}

std::optional<Divergence> check_discipline(Policy policy, const CollectorHistory& before,
                                           const Events& observed) {
  if (!finalizes_at_most_once(policy)) return std::nullopt;
  for (std::size_t i = 0; i < observed.finalized.size(); ++i) {
    const ObjectId id = observed.finalized[i];
    const bool twice_now = i > 0 && observed.finalized[i - 1] == id;
    if (twice_now || before.times_finalized(id) > 0) {
      return divergence(Check::finalizer,
                        fmt::format("finalized {} a second time; policy {} finalizes at most once",
                                    at(id), name_of(policy)),
                        {id});
    }
  }
  return std::nullopt;
}

std::optional<Divergence> check_exactness(const Events& expected, const Events& observed) {
  auto differ = [&](std::string_view what, const std::string& e, const std::string& o,
                    std::vector<ObjectId> objects = {}) {
    return divergence(Check::exactness, fmt::format("{}: expected {}, observed {}", what, e, o),
                      std::move(objects));
  };
  auto differ_ids = [&](std::string_view what, const std::vector<ObjectId>& e,
                        const std::vector<ObjectId>& o) {
    return differ(what, ids(e), ids(o), symmetric_difference(e, o));
  };
  if (expected.freed != observed.freed) return differ_ids("freed", expected.freed, observed.freed);
  if (expected.finalized != observed.finalized) {
    return differ_ids("finalized", expected.finalized, observed.finalized);
  }
  if (expected.garbage != observed.garbage) {
    return differ_ids("garbage", expected.garbage, observed.garbage);
  }
  if (expected.cleared != observed.cleared) {
    return differ("cleared", names(expected.cleared), names(observed.cleared));
  }
  if (expected.callbacks != observed.callbacks) {
    return differ("callbacks", names(expected.callbacks), names(observed.callbacks));
  }
  if (expected.collected != observed.collected) {
    auto show = [](const std::optional<std::int64_t>& c) {
      return c ? std::to_string(*c) : std::string("nothing");
    };
    return differ("collected", show(expected.collected), show(observed.collected));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Divergence> check_events(const Model& model, const Capabilities& capabilities,
                                       const CollectorHistory& before, const Events& expected,
                                       const Events& observed) {
  if (observed == expected) return std::nullopt;  // the model is safe and disciplined
  std::optional<Divergence> found = check_safety(model, expected, observed);
  if (!found) found = check_discipline(capabilities.policy, before, observed);
  if (!found && capabilities.precision == Precision::exact) {
    found = check_exactness(expected, observed);
  }
  if (found) {
    found->expected = expected;
    found->observed = observed;
  }
  return found;
}

std::optional<Divergence> check_heap(const Model& model, const Capabilities& capabilities,
                                     const HeapView& view, bool whole_heap) {
  const GraphReading reading = read_graph(view);
  if (reading.problem) return divergence(Check::integrity, *reading.problem);
  if (auto difference = graph_difference(model.graph(), reading.graph)) {
    return divergence(Check::integrity, std::move(difference->description),
                      std::move(difference->objects));
  }
  if (!capabilities.refcounts) return std::nullopt;
  std::optional<Divergence> found;
  auto check = [&](HeapView::Ref ref) {
    if (found) return;
    const ObjectId id = view.id(ref);
    if (id.value >= model.object_count() || model.is_freed(id)) {
      found = divergence(Check::integrity,
                         fmt::format("the collector still holds {}, which is freed", at(id)), {id});
      return;
    }
    const std::optional<std::int64_t> count = view.refcount(ref);
    if (count && *count != model.refcount(id)) {
      found = divergence(Check::refcount,
                         fmt::format("{} has {} references, but the collector counts {}", at(id),
                                     model.refcount(id), *count),
                         {id});
    }
  };
  if (whole_heap) {
    view.for_each_object(check);
  } else {
    for (HeapView::Ref ref : reading.reached) check(ref);
  }
  return found;
}

namespace {

// An object's payload, where the collector keeps it now: the size it was allocated with, and
// fill_payload's bytes in its first and last kPayloadEdge.
std::optional<Divergence> check_payload(const Model& model, const HeapView& view, HeapView::Ref ref,
                                        ObjectId id) {
  const std::optional<std::span<const std::byte>> payload = view.payload(ref);
  if (!payload) return std::nullopt;
  const std::size_t size = model.payload(id);
  if (payload->size() != size) {
    return divergence(Check::integrity,
                      fmt::format("{} has a payload of {} bytes, but was allocated with {}", at(id),
                                  payload->size(), size),
                      {id});
  }
  const std::size_t edge = std::min(size, kPayloadEdge);
  for (std::size_t i : {std::size_t{0}, size - edge}) {
    for (std::size_t j = i; j < i + edge; ++j) {
      if ((*payload)[j] != payload_byte(id, j)) {
        return divergence(
            Check::integrity,
            fmt::format("{}'s payload is overwritten: byte {} of {} is {:#04x}, not {:#04x} as "
                        "allocated (a block too small, an overlap, or a copy that lost it)",
                        at(id), j, size, static_cast<unsigned>((*payload)[j]),
                        static_cast<unsigned>(payload_byte(id, j))),
            {id});
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Divergence> check_object_list(const Model& model, const CollectorHistory& history,
                                            const HeapView& view) {
  // Sized by what the heap holds, not by every object ever allocated: this runs after every
  // collection, and a long trace must cost linear time (docs/benchmarks.md, cost per op).
  std::unordered_set<std::uint32_t> listed;
  listed.reserve(model.live_count());
  std::optional<Divergence> found;
  view.for_each_object([&](HeapView::Ref ref) {
    if (found) return;
    const ObjectId id = view.id(ref);
    if (id.value >= model.object_count()) {
      found = divergence(Check::integrity,
                         fmt::format("the collector lists {}, an object never allocated", at(id)));
    } else if (history.is_freed(id)) {
      found = divergence(
          Check::integrity,
          fmt::format("the collector still lists {} after reporting it freed", at(id)), {id});
    } else if (model.is_freed(id)) {
      found = divergence(Check::integrity,
                         fmt::format("the collector still lists {}, which is freed", at(id)), {id});
    } else if (!listed.insert(id.value).second) {
      found =
          divergence(Check::integrity, fmt::format("the collector lists {} twice", at(id)), {id});
    } else {
      found = check_payload(model, view, ref, id);
    }
  });
  if (found) return found;
  // Every object listed is one the model holds, once: the model holds no other exactly when
  // the counts agree. Otherwise the lowest one missing is reported.
  if (listed.size() == model.live_count()) return std::nullopt;
  std::optional<ObjectId> lost;
  model.for_each_live([&](ObjectId id) {
    if (!listed.contains(id.value) && (!lost || id < *lost)) lost = id;
  });
  return divergence(Check::integrity,
                    fmt::format("the collector lost {}: it is not among its objects, but it "
                                "is not freed (reachable, or trash a collection has not "
                                "freed)",
                                at(*lost)),
                    {*lost});
}

std::optional<Divergence> check_variable_refcounts(const Model& model, const HeapView& view,
                                                   const std::vector<std::string_view>& names) {
  for (std::string_view name : names) {
    const HeapView::Ref ref = view.variable(name);
    if (ref == nullptr) continue;
    const ObjectId id = view.id(ref);
    if (id.value >= model.object_count()) continue;  // the integrity check reports it
    const std::optional<std::int64_t> count = view.refcount(ref);
    if (count && *count != model.refcount(id)) {
      return divergence(Check::refcount,
                        fmt::format("{} ({}) has {} references, but the collector counts {}", name,
                                    at(id), model.refcount(id), *count),
                        {id});
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_expectation(const Op& expectation, const CollectorHistory& history,
                                             const HeapView& view) {
  auto each = [&](const ObjectList& list, auto&& holds,
                  std::string_view what) -> std::optional<std::string> {
    for (ObjectId id : list.ids) {
      if (!holds(id)) return fmt::format("{} is not {}", at(id), what);
    }
    return std::nullopt;
  };
  auto live_ids = [&] {
    std::vector<ObjectId> live;
    view.for_each_object([&](HeapView::Ref ref) { live.push_back(view.id(ref)); });
    std::sort(live.begin(), live.end());
    return live;
  };
  auto list_ids = [&](RootList which) {
    std::vector<ObjectId> list;
    view.for_each_in_list(which, [&](HeapView::Ref ref) { list.push_back(view.id(ref)); });
    std::sort(list.begin(), list.end());
    return list;
  };
  return std::visit(
      [&](const auto& e) -> std::optional<std::string> {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ExpectCollected>) {
          if (!history.last_collected()) return "no collection has run";
          if (*history.last_collected() == e.count.value) return std::nullopt;
          return fmt::format("the last collect returned {}, not {}", *history.last_collected(),
                             e.count.value);
        } else if constexpr (std::is_same_v<T, ExpectFreed>) {
          return each(
              e.ids, [&](ObjectId id) { return history.is_freed(id); }, "freed");
        } else if constexpr (std::is_same_v<T, ExpectAlive>) {
          const std::vector<ObjectId> live = live_ids();
          return each(
              e.ids, [&](ObjectId id) { return contains(live, id); }, "alive");
        } else if constexpr (std::is_same_v<T, ExpectFinalized>) {
          return each(
              e.ids, [&](ObjectId id) { return history.times_finalized(id) > 0; }, "finalized");
        } else if constexpr (std::is_same_v<T, ExpectGarbage>) {
          const std::vector<ObjectId> garbage = list_ids(RootList::garbage);
          return each(
              e.ids, [&](ObjectId id) { return contains(garbage, id); }, "in garbage");
        } else if constexpr (std::is_same_v<T, ExpectRefcount>) {
          std::optional<std::string> result;
          bool bound = false;
          view.for_each_variable([&](std::string_view name, HeapView::Ref ref) {
            if (name != e.var.name || ref == nullptr) return;
            bound = true;
            const std::optional<std::int64_t> count = view.refcount(ref);
            if (count && *count != e.count.value) {
              result = fmt::format("{} has {} references, not {}", name, *count, e.count.value);
            }
          });
          if (!bound) return fmt::format("{} is unbound", e.var.name);
          return result;
        } else {
          return std::nullopt;
        }
      },
      expectation);
}

}  // namespace gcfuzz
