// Plugin loading and the adapter that drives a plugin's C table as a Collector.
#include "harness/engine/plugins.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "collectors/registry.h"

namespace gcfuzz {
namespace {

// ---- The C events table gcfuzz hands a plugin: forwards to the harness's Observer ----

Observer& observer_of(void* context) {
  return *static_cast<Observer*>(context);
}

gcfuzz_events events_for(Observer& observer) {
  return gcfuzz_events{
      .context = &observer,
      .freed = [](void* c, gcfuzz_object_id id) { observer_of(c).freed(ObjectId{id}); },
      .finalized = [](void* c, gcfuzz_object_id id) { observer_of(c).finalized(ObjectId{id}); },
      .appended_to_garbage =
          [](void* c, gcfuzz_object_id id) { observer_of(c).appended_to_garbage(ObjectId{id}); },
      .cleared = [](void* c, const char* weak) { observer_of(c).cleared(weak); },
      .callback_ran = [](void* c, const char* weak) { observer_of(c).callback_ran(weak); },
      .collected = [](void* c, std::int64_t count) { observer_of(c).collected(count); },
      .renumbered =
          [](void* c, gcfuzz_object_id provisional, gcfuzz_object_id final) {
            observer_of(c).renumbered(ObjectId{provisional}, ObjectId{final});
          },
  };
}

// ---- A plugin's collector, driven through its C table ----

// Names reach the plugin NUL-terminated. The harness's names come from the trace's ops,
// which hold them in std::string, but a string_view does not promise it: copy.
class CName {
 public:
  explicit CName(std::string_view name) : text_(name) {}
  operator const char*() const { return text_.c_str(); }

 private:
  std::string text_;
};

class PluginCollector final : public Collector, public HeapView {
 public:
  PluginCollector(const gcfuzz_collector_entry& entry, Observer& observer)
      : ops_(*entry.ops), events_(events_for(observer)), self_(ops_.create(&entry, &events_)) {}
  ~PluginCollector() override {
    if (self_ != nullptr) ops_.destroy(self_);
  }
  PluginCollector(const PluginCollector&) = delete;
  PluginCollector& operator=(const PluginCollector&) = delete;

  void alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) override {
    ops_.alloc(self(), CName(var), slots, static_cast<std::uint32_t>(fin), payload);
  }
  void link(std::string_view target, int slot, std::string_view source) override {
    ops_.link(self(), CName(target), slot, CName(source));
  }
  void unlink(std::string_view target, int slot) override {
    ops_.unlink(self(), CName(target), slot);
  }
  void load(std::string_view var, std::string_view source, int slot) override {
    ops_.load(self(), CName(var), CName(source), slot);
  }
  void copy(std::string_view var, std::string_view source) override {
    ops_.copy(self(), CName(var), CName(source));
  }
  void drop(std::string_view var) override { ops_.drop(self(), CName(var)); }
  void weak(std::string_view weak, std::string_view var, bool callback) override {
    ops_.weak(self(), CName(weak), CName(var), callback ? 1 : 0);
  }
  void deref(std::string_view var, std::string_view weak) override {
    ops_.deref(self(), CName(var), CName(weak));
  }
  void collect(bool young) override { ops_.collect(self(), young ? 1 : 0); }
  void clear(RootList list) override { ops_.clear(self(), static_cast<std::uint32_t>(list)); }

  const HeapView& view() const override { return *this; }

  void for_each_variable(const std::function<void(std::string_view, Ref)>& f) const override {
    ops_.for_each_variable(self_, visit_named, const_cast<void*>(static_cast<const void*>(&f)));
  }
  void for_each_weak(const std::function<void(std::string_view, Ref)>& f) const override {
    ops_.for_each_weak(self_, visit_named, const_cast<void*>(static_cast<const void*>(&f)));
  }
  void for_each_in_list(RootList list, const std::function<void(Ref)>& f) const override {
    ops_.for_each_in_list(self_, static_cast<std::uint32_t>(list), visit_object,
                          const_cast<void*>(static_cast<const void*>(&f)));
  }
  void for_each_object(const std::function<void(Ref)>& f) const override {
    ops_.for_each_object(self_, visit_object, const_cast<void*>(static_cast<const void*>(&f)));
  }
  Ref variable(std::string_view name) const override {
    if (ops_.variable == nullptr) return HeapView::variable(name);
    return ops_.variable(self_, CName(name));
  }
  ObjectId id(Ref object) const override { return ObjectId{ops_.id(self_, object)}; }
  int slot_count(Ref object) const override { return ops_.slot_count(self_, object); }
  Ref slot(Ref object, int index) const override { return ops_.slot(self_, object, index); }
  std::optional<std::int64_t> refcount(Ref object) const override {
    if (ops_.refcount == nullptr) return std::nullopt;
    const std::int64_t count = ops_.refcount(self_, object);
    return count < 0 ? std::nullopt : std::optional(count);
  }

 private:
  // The instance; an op on a collector whose `create` failed is a crash of that collector.
  void* self() const {
    if (self_ == nullptr) throw std::runtime_error("the plugin's create returned NULL");
    return self_;
  }
  static void visit_named(void* f, const char* name, const void* object) {
    (*static_cast<const std::function<void(std::string_view, Ref)>*>(f))(name, object);
  }
  static void visit_object(void* f, const void* object) {
    (*static_cast<const std::function<void(Ref)>*>(f))(object);
  }

  const gcfuzz_collector_ops& ops_;
  gcfuzz_events events_;
  void* self_;
};

// ---- Checking a table ----

// Strings of registered plugin collectors: the registry holds views into them.
std::deque<std::string>& kept_strings() {
  static std::deque<std::string> strings;
  return strings;
}
std::string_view keep(std::string text) {
  return kept_strings().emplace_back(std::move(text));
}

bool valid_name(std::string_view name) {
  return !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
    return c == ' ' || c == ',' || c == '\t' || static_cast<unsigned char>(c) < 0x21 ||
           static_cast<unsigned char>(c) > 0x7e;
  });
}

// What is wrong with one entry, or empty. `names` are the table's own names.
std::string entry_problem(const gcfuzz_collector_entry& e, const std::set<std::string>& names) {
  const gcfuzz_capabilities& c = e.capabilities;
  if (c.policy > GCFUZZ_POLICY_LUA) {
    return fmt::format(
        "invalid capabilities: policy {} is not one of 0-5 (pep442, "
        "pep442-whole, legacy, java, boehm, lua)",
        c.policy);
  }
  if (c.precision > GCFUZZ_PRECISION_CONSERVATIVE) {
    return fmt::format("invalid capabilities: precision {} is not 0 (exact) or 1 (conservative)",
                       c.precision);
  }
  const std::pair<const char*, std::uint8_t> flags[] = {{"collects_cycles", c.collects_cycles},
                                                        {"generational", c.generational},
                                                        {"moving", c.moving},
                                                        {"incremental", c.incremental},
                                                        {"refcounts", c.refcounts}};
  for (const auto& [flag, value] : flags) {
    if (value > 1) return fmt::format("invalid capabilities: {} is {}, not 0 or 1", flag, value);
  }
  const Policy policy = static_cast<Policy>(c.policy);
  if (c.precision == GCFUZZ_PRECISION_CONSERVATIVE && counts_references(policy)) {
    return fmt::format(
        "invalid capabilities: a conservative collector needs a tracing policy "
        "(java, boehm, lua), not {}",
        name_of(policy));
  }
  if (e.summary == nullptr) return "its summary is NULL";
  if (e.mutant_of != nullptr && *e.mutant_of != '\0' && !names.contains(e.mutant_of)) {
    return fmt::format("it is a mutant of {}, which the plugin does not offer", e.mutant_of);
  }
  if (e.ops == nullptr) return "a null function where one is required: its ops table is NULL";
  const gcfuzz_collector_ops& o = *e.ops;
  const std::pair<const char*, bool> required[] = {
      {"create", o.create != nullptr},
      {"destroy", o.destroy != nullptr},
      {"alloc", o.alloc != nullptr},
      {"link", o.link != nullptr},
      {"unlink", o.unlink != nullptr},
      {"load", o.load != nullptr},
      {"copy", o.copy != nullptr},
      {"drop", o.drop != nullptr},
      {"weak", o.weak != nullptr},
      {"deref", o.deref != nullptr},
      {"collect", o.collect != nullptr},
      {"clear", o.clear != nullptr},
      {"for_each_variable", o.for_each_variable != nullptr},
      {"for_each_weak", o.for_each_weak != nullptr},
      {"for_each_in_list", o.for_each_in_list != nullptr},
      {"for_each_object", o.for_each_object != nullptr},
      {"id", o.id != nullptr},
      {"slot_count", o.slot_count != nullptr},
      {"slot", o.slot != nullptr},
      {"refcount (it declares refcounts)", c.refcounts == 0 || o.refcount != nullptr},
  };
  for (const auto& [function, present] : required) {
    if (!present) return fmt::format("a null function where one is required: ops.{}", function);
  }
  return {};
}

Capabilities capabilities_of(const gcfuzz_capabilities& c) {
  return Capabilities{.policy = static_cast<Policy>(c.policy),
                      .precision = static_cast<Precision>(c.precision),
                      .collects_cycles = c.collects_cycles != 0,
                      .generational = c.generational != 0,
                      .moving = c.moving != 0,
                      .incremental = c.incremental != 0,
                      .refcounts = c.refcounts != 0};
}

std::set<std::string>& loaded_paths() {
  static std::set<std::string> paths;
  return paths;
}

}  // namespace

void register_plugin_table(const gcfuzz_plugin_table* table, std::string_view source) {
  auto fail = [&](const std::string& what) {
    throw PluginError(fmt::format("plugin {}: {}", source, what));
  };
  if (table == nullptr) fail("gcfuzz_plugin() returned NULL");
  if (table->abi_version != GCFUZZ_PLUGIN_ABI_VERSION) {
    fail(fmt::format("ABI version mismatch: built for plugin ABI {}, this gcfuzz speaks ABI {}",
                     table->abi_version, GCFUZZ_PLUGIN_ABI_VERSION));
  }
  if (table->collector_count == 0) fail("it offers no collector");
  if (table->collectors == nullptr) fail("its table of collectors is NULL");
  const std::span<const gcfuzz_collector_entry> entries(table->collectors, table->collector_count);
  // The whole table is checked before any collector is registered.
  std::set<std::string> names;
  for (const gcfuzz_collector_entry& e : entries) {
    if (e.name == nullptr) fail("a collector has a NULL name");
    if (!valid_name(e.name)) {
      fail(
          fmt::format("collector '{}': a name may not be empty or hold spaces, commas or "
                      "control characters",
                      e.name));
    }
    if (!names.insert(e.name).second) {
      fail(fmt::format("duplicate name: it offers {} twice", e.name));
    }
    if (find_collector(e.name) != nullptr) {
      fail(fmt::format("duplicate name: a collector named {} is already registered", e.name));
    }
  }
  for (const gcfuzz_collector_entry& e : entries) {
    if (std::string problem = entry_problem(e, names); !problem.empty()) {
      fail(fmt::format("collector {}: {}", e.name, problem));
    }
  }
  const std::string default_origin(std::filesystem::path(source).filename().string());
  for (const gcfuzz_collector_entry& e : entries) {
    const bool mutant = e.mutant_of != nullptr && *e.mutant_of != '\0';
    add_to_registry(CollectorInfo{
        .name = keep(e.name),
        .summary = keep(e.summary),
        .capabilities = capabilities_of(e.capabilities),
        .mutant_of = mutant ? keep(e.mutant_of) : std::string_view(),
        .make = [entry = &e](Observer& observer) -> std::unique_ptr<Collector> {
          return std::make_unique<PluginCollector>(*entry, observer);
        },
        .origin = keep(e.origin != nullptr && *e.origin != '\0'
                           ? std::string(e.origin)
                           : fmt::format("plugin {}", default_origin)),
        .prepare = e.prepare,
    });
  }
}

void load_plugin(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path file(path);
  if (!std::filesystem::exists(file, ec))
    throw PluginError(fmt::format("plugin {}: no such file", path));
  const std::string canonical = std::filesystem::canonical(file, ec).string();
  if (!loaded_paths().insert(canonical.empty() ? path : canonical).second) return;
  // RTLD_NOW: a missing symbol is an error now, not a crash in the middle of a trace. The
  // handle is never closed: the registry points into the plugin's table for good.
  // dlopen searches the library path for a name without a slash: make it a path.
  const std::string openable = path.find('/') == std::string::npos ? "./" + path : path;
  void* handle = ::dlopen(openable.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw PluginError(fmt::format("plugin {}: not a loadable shared object ({})", path,
                                  why != nullptr ? why : "dlopen failed"));
  }
  auto entry =
      reinterpret_cast<gcfuzz_plugin_entry_point>(::dlsym(handle, GCFUZZ_PLUGIN_ENTRY_POINT));
  if (entry == nullptr) {
    throw PluginError(fmt::format("plugin {}: no entry point: it does not export {}()", path,
                                  GCFUZZ_PLUGIN_ENTRY_POINT));
  }
  register_plugin_table(entry(), path);
}

void load_plugins(const std::vector<std::string>& paths) {
  std::vector<std::string> all;
  if (const char* env = std::getenv("GCFUZZ_PLUGINS"); env != nullptr) {
    std::string_view rest(env);
    while (!rest.empty()) {
      const std::size_t colon = rest.find(':');
      const std::string_view one = rest.substr(0, colon);
      if (!one.empty()) all.emplace_back(one);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  all.insert(all.end(), paths.begin(), paths.end());
  for (const std::string& path : all) load_plugin(path);
}

}  // namespace gcfuzz
