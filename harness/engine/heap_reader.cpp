// Reads a collector's heap through its HeapView and compares it with the model's.
#include "harness/engine/heap_reader.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "harness/trace/event_format.h"

namespace gcfuzz {

GraphReading read_graph(const HeapView& view) {
  GraphReading reading;
  HeapGraph& g = reading.graph;
  std::vector<HeapView::Ref> work;
  view.for_each_variable([&](std::string_view name, HeapView::Ref ref) {
    if (ref == nullptr) return;
    g.variables[std::string(name)] = view.id(ref);
    work.push_back(ref);
  });
  view.for_each_weak([&](std::string_view name, HeapView::Ref ref) {
    g.weak[std::string(name)] = ref ? std::optional(view.id(ref)) : std::nullopt;
  });
  view.for_each_in_list(RootList::revived, [&](HeapView::Ref ref) {
    g.revived.push_back(view.id(ref));
    work.push_back(ref);
  });
  view.for_each_in_list(RootList::garbage, [&](HeapView::Ref ref) {
    g.garbage.push_back(view.id(ref));
    work.push_back(ref);
  });
  std::sort(g.revived.begin(), g.revived.end());
  std::sort(g.garbage.begin(), g.garbage.end());

  std::unordered_map<HeapView::Ref, ObjectId> seen;
  std::unordered_map<std::uint32_t, HeapView::Ref> owner;  // id -> the object claiming it
  while (!work.empty()) {
    const HeapView::Ref ref = work.back();
    work.pop_back();
    if (seen.contains(ref)) continue;
    const ObjectId id = view.id(ref);
    seen.emplace(ref, id);
    reading.reached.push_back(ref);
    if (auto [it, inserted] = owner.emplace(id.value, ref); !inserted && !reading.problem) {
      reading.problem = fmt::format("two distinct reachable objects claim the id {}", at(id));
    }
    const int n = view.slot_count(ref);
    std::vector<std::optional<ObjectId>> slots(n);
    for (int i = 0; i < n; ++i) {
      if (const HeapView::Ref target = view.slot(ref, i)) {
        slots[i] = view.id(target);
        work.push_back(target);
      }
    }
    g.objects[id] = std::move(slots);
  }
  return reading;
}

namespace {

std::string maybe_id(const std::optional<ObjectId>& id) {
  return id ? at(*id) : "null";
}

std::string id_list(const std::vector<ObjectId>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? " " : "") + at(ids[i]);
  return out + "]";
}

template <class Map, class Show>
std::optional<std::string> map_difference(std::string_view what, const Map& expected,
                                          const Map& observed, Show show) {
  for (const auto& [name, value] : expected) {
    auto it = observed.find(name);
    if (it == observed.end()) {
      return fmt::format("{} {} should be {}, but the collector has it unbound", what, name,
                         show(value));
    }
    if (it->second != value) {
      return fmt::format("{} {} should be {}, but the collector has {}", what, name, show(value),
                         show(it->second));
    }
  }
  for (const auto& [name, value] : observed) {
    if (!expected.contains(name)) {
      return fmt::format("{} {} should be unbound, but the collector has {}", what, name,
                         show(value));
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<GraphDifference> graph_difference(const HeapGraph& expected,
                                                const HeapGraph& observed) {
  auto about = [](std::string description, std::vector<ObjectId> objects = {}) {
    return GraphDifference{std::move(description), std::move(objects)};
  };
  if (auto d = map_difference("variable", expected.variables, observed.variables,
                              [](ObjectId id) { return at(id); })) {
    return about(*d);
  }
  if (auto d = map_difference("weak variable", expected.weak, observed.weak,
                              [](const std::optional<ObjectId>& id) {
                                return id ? at(*id) : std::string("cleared");
                              })) {
    return about(*d);
  }
  if (expected.revived != observed.revived) {
    return about(fmt::format("revived should hold {}, but the collector's holds {}",
                             id_list(expected.revived), id_list(observed.revived)));
  }
  if (expected.garbage != observed.garbage) {
    return about(fmt::format("garbage should hold {}, but the collector's holds {}",
                             id_list(expected.garbage), id_list(observed.garbage)));
  }
  for (const auto& [id, slots] : expected.objects) {
    auto it = observed.objects.find(id);
    if (it == observed.objects.end()) {
      return about(
          fmt::format("{} is reachable, but the collector's graph does not reach it", at(id)),
          {id});
    }
    if (it->second.size() != slots.size()) {
      return about(fmt::format("{} has {} slots, but the collector's has {}", at(id), slots.size(),
                               it->second.size()),
                   {id});
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (slots[i] != it->second[i]) {
        return about(fmt::format("{}.slot[{}] should be {}, but the collector's is {}", at(id), i,
                                 maybe_id(slots[i]), maybe_id(it->second[i])),
                     {id});
      }
    }
  }
  for (const auto& [id, slots] : observed.objects) {
    if (!expected.objects.contains(id)) {
      return about(
          fmt::format("the collector's graph reaches {}, which should be unreachable", at(id)),
          {id});
    }
  }
  return std::nullopt;
}

}  // namespace gcfuzz
