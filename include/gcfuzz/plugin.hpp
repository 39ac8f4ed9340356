// gcfuzz/plugin.hpp: a C++ collector (gcfuzz/collector.hpp) as a plugin of the C ABI
// (gcfuzz/plugin.h). Header-only; include it in one source file of the plugin.
//
// A C++ author writes the collector as gcfuzz's own are written (a `Collector` with its
// `HeapView`, reporting to an `Observer`), lists it and its mutants as `CollectorInfo`
// entries, and exports them:
//
//   std::span<const gcfuzz::CollectorInfo> my_collectors() {
//     static const gcfuzz::CollectorInfo entries[] = {
//         {.name = "mine:java", .summary = "...", .capabilities = {...}, .make = make_mine},
//         {.name = "mine:java~bug", ..., .mutant_of = "mine:java", .make = make_buggy}};
//     return entries;
//   }
//   GCFUZZ_CPP_PLUGIN(my_collectors)
//
// Every call from gcfuzz goes through the C table: the op and view functions forward to the
// C++ collector, and its Observer calls forward to gcfuzz's events table. An exception that
// escapes the collector cannot cross the C boundary: it is printed and the process aborts,
// which gcfuzz reports as a crash of that collector.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gcfuzz/collector.hpp"
#include "gcfuzz/plugin.h"

namespace gcfuzz::plugin {
namespace detail {

// Forwards a C++ collector's events to gcfuzz's C events table.
class EventsObserver final : public Observer {
 public:
  explicit EventsObserver(const gcfuzz_events& events) : events_(events) {}
  void freed(ObjectId id) override { events_.freed(events_.context, id.value); }
  void finalized(ObjectId id) override { events_.finalized(events_.context, id.value); }
  void appended_to_garbage(ObjectId id) override {
    events_.appended_to_garbage(events_.context, id.value);
  }
  void cleared(std::string_view weak) override {
    events_.cleared(events_.context, std::string(weak).c_str());
  }
  void callback_ran(std::string_view weak) override {
    events_.callback_ran(events_.context, std::string(weak).c_str());
  }
  void collected(std::int64_t count) override { events_.collected(events_.context, count); }
  void renumbered(ObjectId provisional, ObjectId final) override {
    events_.renumbered(events_.context, provisional.value, final.value);
  }

 private:
  gcfuzz_events events_;
};

// One collector instance: the observer it reports to outlives it.
struct Instance {
  explicit Instance(const gcfuzz_events& events) : observer(events) {}
  EventsObserver observer;
  std::unique_ptr<Collector> collector;
};

[[noreturn]] inline void escaped(const char* what) {
  std::fprintf(stderr, "gcfuzz plugin: an exception escaped the collector: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

// Runs `f`, turning an escaping exception into an abort (it may not cross the C ABI).
template <class F>
auto guarded(F&& f) noexcept -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    escaped(e.what());
  } catch (...) {
    escaped("an exception of unknown type");
  }
}

inline Collector& collector(void* instance) {
  return *static_cast<Instance*>(instance)->collector;
}
inline const HeapView& view(const void* instance) {
  return static_cast<const Instance*>(instance)->collector->view();
}

inline void* create(const gcfuzz_collector_entry* entry, const gcfuzz_events* events) {
  return guarded([&]() -> void* {
    const auto& info = *static_cast<const CollectorInfo*>(entry->data);
    auto instance = std::make_unique<Instance>(*events);
    instance->collector = info.make(instance->observer);
    return instance->collector ? instance.release() : nullptr;
  });
}

inline const gcfuzz_collector_ops kOps = {
    .create = create,
    .destroy = [](void* c) { guarded([&] { delete static_cast<Instance*>(c); }); },
    .alloc =
        [](void* c, const char* var, std::int32_t slots, std::uint32_t fin, std::uint64_t size) {
          guarded([&] {
            collector(c).alloc(var, slots, static_cast<Finalizer>(fin),
                               static_cast<std::uint32_t>(size));
          });
        },
    .link = [](void* c, const char* target, std::int32_t slot,
               const char* source) { guarded([&] { collector(c).link(target, slot, source); }); },
    .unlink = [](void* c, const char* target,
                 std::int32_t slot) { guarded([&] { collector(c).unlink(target, slot); }); },
    .load = [](void* c, const char* var, const char* source,
               std::int32_t slot) { guarded([&] { collector(c).load(var, source, slot); }); },
    .copy = [](void* c, const char* var,
               const char* source) { guarded([&] { collector(c).copy(var, source); }); },
    .drop = [](void* c, const char* var) { guarded([&] { collector(c).drop(var); }); },
    .weak =
        [](void* c, const char* weak, const char* var, std::int32_t callback) {
          guarded([&] { collector(c).weak(weak, var, callback != 0); });
        },
    .deref = [](void* c, const char* var,
                const char* weak) { guarded([&] { collector(c).deref(var, weak); }); },
    .collect = [](void* c, std::int32_t young) { guarded([&] { collector(c).collect(young); }); },
    .clear =
        [](void* c, std::uint32_t list) {
          guarded([&] { collector(c).clear(static_cast<RootList>(list)); });
        },
    .for_each_variable =
        [](const void* c, gcfuzz_visit_named visit, void* context) {
          guarded([&] {
            view(c).for_each_variable([&](std::string_view name, HeapView::Ref ref) {
              visit(context, std::string(name).c_str(), ref);
            });
          });
        },
    .for_each_weak =
        [](const void* c, gcfuzz_visit_named visit, void* context) {
          guarded([&] {
            view(c).for_each_weak([&](std::string_view name, HeapView::Ref ref) {
              visit(context, std::string(name).c_str(), ref);
            });
          });
        },
    .for_each_in_list =
        [](const void* c, std::uint32_t list, gcfuzz_visit_object visit, void* context) {
          guarded([&] {
            view(c).for_each_in_list(static_cast<RootList>(list),
                                     [&](HeapView::Ref ref) { visit(context, ref); });
          });
        },
    .for_each_object =
        [](const void* c, gcfuzz_visit_object visit, void* context) {
          guarded(
              [&] { view(c).for_each_object([&](HeapView::Ref ref) { visit(context, ref); }); });
        },
    .variable = [](const void* c,
                   const char* name) { return guarded([&] { return view(c).variable(name); }); },
    .id = [](const void* c, const void* o) { return guarded([&] { return view(c).id(o).value; }); },
    .slot_count = [](const void* c,
                     const void* o) { return guarded([&] { return view(c).slot_count(o); }); },
    .slot = [](const void* c, const void* o,
               std::int32_t i) { return guarded([&] { return view(c).slot(o, i); }); },
    .refcount =
        [](const void* c, const void* o) {
          return guarded([&] { return view(c).refcount(o).value_or(-1); });
        },
};

inline gcfuzz_capabilities capabilities_of(const Capabilities& c) {
  return gcfuzz_capabilities{.policy = static_cast<std::uint32_t>(c.policy),
                             .precision = static_cast<std::uint32_t>(c.precision),
                             .collects_cycles = c.collects_cycles,
                             .generational = c.generational,
                             .moving = c.moving,
                             .incremental = c.incremental,
                             .refcounts = c.refcounts};
}

}  // namespace detail

// The C table of `collectors`, built once (later calls return the first table). With a
// `name_prefix`, every name and `mutant_of` gets it: the same collectors can then be loaded
// beside gcfuzz's own copies of them (a benchmark of the plugin path does this).
// REQUIRES: `collectors` lives as long as the process (a function-local static array).
inline const gcfuzz_plugin_table* export_collectors(std::span<const CollectorInfo> collectors,
                                                    std::string_view name_prefix = {}) {
  static std::deque<std::string> strings;
  static std::vector<gcfuzz_collector_entry> entries;
  static gcfuzz_plugin_table table{};
  if (table.abi_version != 0) return &table;
  auto keep = [&](std::string text) { return strings.emplace_back(std::move(text)).c_str(); };
  for (const CollectorInfo& info : collectors) {
    entries.push_back(gcfuzz_collector_entry{
        .name = keep(std::string(name_prefix) + std::string(info.name)),
        .summary = keep(std::string(info.summary)),
        .mutant_of =
            info.is_mutant() ? keep(std::string(name_prefix) + std::string(info.mutant_of)) : "",
        .origin = keep(std::string(info.origin)),
        .capabilities = detail::capabilities_of(info.capabilities),
        .ops = &detail::kOps,
        .prepare = info.prepare,
        .data = &info,
    });
  }
  table = gcfuzz_plugin_table{.abi_version = GCFUZZ_PLUGIN_ABI_VERSION,
                              .collector_count = static_cast<std::uint32_t>(entries.size()),
                              .collectors = entries.data()};
  return &table;
}

}  // namespace gcfuzz::plugin

// Defines the plugin's entry point over `collectors_function`, a function returning
// std::span<const gcfuzz::CollectorInfo>. Use it once per plugin.
#define GCFUZZ_CPP_PLUGIN(collectors_function)                                     \
  extern "C" GCFUZZ_PLUGIN_EXPORT const gcfuzz_plugin_table* gcfuzz_plugin(void) { \
    return ::gcfuzz::plugin::export_collectors(collectors_function());             \
  }
