/* A plugin with one defect, chosen at compile time, for the tests of gcfuzz's plugin loader
 * (tests/plugin_test.cpp): each must be refused with a one-line message and exit code 2,
 * before any trace runs. BROKEN is one of the defects below; without one the plugin is
 * valid (a collector that does nothing, for the loader's own checks).
 *   1 no_entry        exports no gcfuzz_plugin()
 *   2 abi_version     built for another ABI version
 *   3 duplicate_name  offers a collector gcfuzz already has (mark-sweep:java)
 *   4 capabilities    declares policy 9
 *   5 null_function   ops.link is NULL
 *   6 crash           loads, then `collect` writes through a null pointer
 *   7 hang            loads, then `collect` never returns
 */
#include <stddef.h>

#include <gcfuzz/plugin.h>

static void* create(const gcfuzz_collector_entry* entry, const gcfuzz_events* events) {
  (void)entry;
  return (void*)events;
}
static void destroy(void* c) {
  (void)c;
}
static void alloc(void* c, const char* v, int32_t n, uint32_t f, uint64_t size) {
  (void)c, (void)v, (void)n, (void)f, (void)size;
}
static void two(void* c, const char* a, const char* b) {
  (void)c, (void)a, (void)b;
}
__attribute__((unused)) static void link_slot(void* c, const char* a, int32_t s, const char* b) {
  (void)c, (void)a, (void)s, (void)b;
}
static void slot_op(void* c, const char* a, int32_t s) {
  (void)c, (void)a, (void)s;
}
static void load(void* c, const char* a, const char* b, int32_t s) {
  (void)c, (void)a, (void)b, (void)s;
}
static void one(void* c, const char* a) {
  (void)c, (void)a;
}
static void weak(void* c, const char* w, const char* v, int32_t cb) {
  (void)c, (void)w, (void)v, (void)cb;
}
static void collect(void* c, int32_t young) {
  (void)c, (void)young;
#if BROKEN == 6
  *(volatile int*)(uintptr_t)young = 1; /* young is 0: a null pointer */
#elif BROKEN == 7
  for (volatile int forever = 1; forever;) {
  }
#endif
}
static void clear(void* c, uint32_t list) {
  (void)c, (void)list;
}
static void named(const void* c, gcfuzz_visit_named v, void* x) {
  (void)c, (void)v, (void)x;
}
static void list(const void* c, uint32_t l, gcfuzz_visit_object v, void* x) {
  (void)c, (void)l, (void)v, (void)x;
}
static void objects(const void* c, gcfuzz_visit_object v, void* x) {
  (void)c, (void)v, (void)x;
}
static gcfuzz_object_id id(const void* c, const void* o) {
  return (void)c, (void)o, 0;
}
static int32_t slot_count(const void* c, const void* o) {
  return (void)c, (void)o, 0;
}
static const void* slot(const void* c, const void* o, int32_t i) {
  return (void)c, (void)o, (void)i, NULL;
}

static const gcfuzz_collector_ops ops = {
    .create = create,
    .destroy = destroy,
    .alloc = alloc,
#if BROKEN != 5
    .link = link_slot,
#endif
    .unlink = slot_op,
    .load = load,
    .copy = two,
    .drop = one,
    .weak = weak,
    .deref = two,
    .collect = collect,
    .clear = clear,
    .for_each_variable = named,
    .for_each_weak = named,
    .for_each_in_list = list,
    .for_each_object = objects,
    .id = id,
    .slot_count = slot_count,
    .slot = slot,
};

static const gcfuzz_collector_entry collectors[] = {{
#if BROKEN == 3
    .name = "mark-sweep:java",
#elif BROKEN == 6
    .name = "broken-crash:java",
#elif BROKEN == 7
    .name = "broken-hang:java",
#else
    .name = "broken:java",
#endif
    .summary = "a plugin for the loader's tests",
    .capabilities = {.policy = BROKEN == 4 ? 9u : GCFUZZ_POLICY_JAVA, .collects_cycles = 1},
    .ops = &ops,
}};

static const gcfuzz_plugin_table table = {
    .abi_version = BROKEN == 2 ? GCFUZZ_PLUGIN_ABI_VERSION + 1 : GCFUZZ_PLUGIN_ABI_VERSION,
    .collector_count = 1,
    .collectors = collectors,
};

#if BROKEN == 1
GCFUZZ_PLUGIN_EXPORT const gcfuzz_plugin_table* gcfuzz_plugin_v0(void) {
#else
GCFUZZ_PLUGIN_EXPORT const gcfuzz_plugin_table* gcfuzz_plugin(void) {
#endif
  return &table;
}
