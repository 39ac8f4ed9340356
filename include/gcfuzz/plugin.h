/* gcfuzz/plugin.h: the C ABI between gcfuzz and a collector plugin.
 *
 * A plugin is a shared object (or an object file linked into a fuzz target) that exports one
 * function, `gcfuzz_plugin`, returning a table of the collectors it offers. gcfuzz loads it
 * with `gcfuzz --plugin PATH.so` (repeatable) or `GCFUZZ_PLUGINS=PATH[:PATH...]`, checks the
 * table, and from then on treats each collector like one of its own: every verb, every
 * check, isolation in child processes, the mutation score.
 *
 * Plain C: it compiles as C11 and as C++. C++ authors can instead implement the C++
 * interface (gcfuzz/collector.hpp) and export it with gcfuzz/plugin.hpp.
 *
 * The semantics of each op, and the events it must report, are gcfuzz's spec (SPEC.md);
 * docs/plugins.md walks through writing a plugin.
 *
 * Who calls what, and how often:
 * - gcfuzz calls `gcfuzz_plugin()` once, when it loads the plugin, and reads the table; the
 *   table and every string it points to must stay valid as long as the process lives.
 * - Per trace, gcfuzz calls `create` once, then one op function per op of the trace, in order,
 *   from one thread, then `destroy`. Several collectors of one plugin may be alive at once,
 *   in one process (a comparison runs many), so keep state in the instance, not in globals.
 * - Between two ops (never during one) gcfuzz may read the heap through the view functions.
 *   An object handle (`const void*`) it got stays valid until the next op.
 * - A plugin reports what happens during an op (frees, finalizer runs...) to the events
 *   table it was given at `create`, while the op runs.
 *
 * Versioning: `GCFUZZ_PLUGIN_ABI_VERSION` is the version of this file. A plugin puts the
 * version it was built against in `gcfuzz_plugin_table.abi_version`; gcfuzz refuses a table
 * of another version with a one-line error. Any change to a struct below, or to what a
 * function means, makes a new version.
 */
#ifndef GCFUZZ_PLUGIN_H
#define GCFUZZ_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GCFUZZ_PLUGIN_ABI_VERSION 1

/* The name of the one function a plugin exports. */
#define GCFUZZ_PLUGIN_ENTRY_POINT "gcfuzz_plugin"

/* ---- Words (SPEC.md section 1). Passed as uint32_t, these values. ---- */

/* Finalizer kinds. */
#define GCFUZZ_FINALIZER_NONE 0u
#define GCFUZZ_FINALIZER_LOG 1u       /* observed, does nothing */
#define GCFUZZ_FINALIZER_RESURRECT 2u /* appends its object to `revived` */
#define GCFUZZ_FINALIZER_ALLOC 3u     /* allocates a 0-slot object into slot 0, if any */
#define GCFUZZ_FINALIZER_LEGACY 4u    /* CPython's tp_del: observed, does nothing */

/* Policies: the rule set a collector follows (SPEC.md section 3). */
#define GCFUZZ_POLICY_PEP442 0u
#define GCFUZZ_POLICY_PEP442_WHOLE 1u
#define GCFUZZ_POLICY_LEGACY 2u
#define GCFUZZ_POLICY_JAVA 3u
#define GCFUZZ_POLICY_BOEHM 4u
#define GCFUZZ_POLICY_LUA 5u

/* Precision (SPEC.md section 5 items 4 and 5). */
#define GCFUZZ_PRECISION_EXACT 0u        /* every event set equals the model's */
#define GCFUZZ_PRECISION_CONSERVATIVE 1u /* may retain trash; needs a tracing policy */

/* The two root lists besides the variables. */
#define GCFUZZ_LIST_REVIVED 0u
#define GCFUZZ_LIST_GARBAGE 1u

/* An object's public number: the N-th allocation of the trace, from 0 (SPEC.md 1.2). */
typedef uint32_t gcfuzz_object_id;

/* Objects that finalizers allocate during an op are numbered after the op, in the order of
 * the ids of the objects whose finalizers allocated them. While the op runs, such an object
 * goes by a provisional id: GCFUZZ_PROVISIONAL_ID_BIT | its creator's id. When the op ends,
 * the plugin numbers them (the smallest creator's next, and so on) and reports each with
 * `renumbered`; earlier events of the op that named the provisional id then name the final
 * one. */
#define GCFUZZ_PROVISIONAL_ID_BIT 0x80000000u

/* ---- What a collector declares ---- */

/* Plain data; gcfuzz reads it, never the collector's name. Each flag is 0 or 1. */
typedef struct gcfuzz_capabilities {
  uint32_t policy;         /* GCFUZZ_POLICY_* */
  uint32_t precision;      /* GCFUZZ_PRECISION_* */
  uint8_t collects_cycles; /* 0: `collect` frees nothing (pure reference counting) */
  uint8_t generational;    /* 0: `collect young` is a full collection */
  uint8_t moving;          /* objects change address (ids do not); informational */
  uint8_t incremental;     /* marking interleaves with mutator ops; informational */
  uint8_t refcounts;       /* 1: `refcount` answers for every live object, and is checked */
} gcfuzz_capabilities;

/* ---- What a collector reports ---- */

/* The events of the op in progress (SPEC.md section 2), reported as they happen. gcfuzz
 * groups them per op and compares them as sets. Pass `context` back as the first argument.
 * Names are NUL-terminated; gcfuzz copies them. */
typedef struct gcfuzz_events {
  void* context;
  void (*freed)(void* context, gcfuzz_object_id id);
  void (*finalized)(void* context, gcfuzz_object_id id); /* once per finalizer run */
  void (*appended_to_garbage)(void* context, gcfuzz_object_id id);
  void (*cleared)(void* context, const char* weak_variable);
  void (*callback_ran)(void* context, const char* weak_variable);
  void (*collected)(void* context, int64_t count); /* the value `collect` returns */
  void (*renumbered)(void* context, gcfuzz_object_id provisional, gcfuzz_object_id final_id);
} gcfuzz_events;

/* Visitors gcfuzz passes to the view functions; call them with the `visit_context` given. */
typedef void (*gcfuzz_visit_named)(void* visit_context, const char* name, const void* object);
typedef void (*gcfuzz_visit_object)(void* visit_context, const void* object);

/* ---- What a collector implements ---- */

/* One table per collector. Every function takes the instance `create` returned. Names of
 * variables are NUL-terminated, `[a-z_][a-z0-9_]*`; gcfuzz owns them (copy what you keep).
 * Unless marked optional, a function must not be NULL: gcfuzz refuses the plugin. */
struct gcfuzz_collector_entry;
typedef struct gcfuzz_collector_ops {
  /* A new, empty heap of the collector `entry` (whose `data` the plugin may have set), that
   * reports to `events` (valid until `destroy`). NULL on failure, which gcfuzz reports as a
   * crash of this collector. */
  void* (*create)(const struct gcfuzz_collector_entry* entry, const gcfuzz_events* events);
  void (*destroy)(void* collector);

  /* The ops of the trace language (SPEC.md section 1.3), with its no-op rules: an op whose
   * source variable is unbound or null, or whose slot is out of range, does nothing. */
  /* var = a new object of `slots` slots (0..16) and finalizer kind `finalizer`; `size` is its
   * payload in bytes beyond the slots (`alloc V N bytes=B`, 0..16 MiB): allocate it with the
   * object, so that your size classes and spaces see the sizes real programs ask for. */
  void (*alloc)(void* collector, const char* var, int32_t slots, uint32_t finalizer, uint64_t size);
  void (*link)(void* collector, const char* target, int32_t slot, const char* source);
  void (*unlink)(void* collector, const char* target, int32_t slot);
  void (*load)(void* collector, const char* var, const char* source, int32_t slot);
  void (*copy)(void* collector, const char* var, const char* source);
  void (*drop)(void* collector, const char* var); /* forget a weak var, then a strong one */
  void (*weak)(void* collector, const char* weak_variable, const char* var, int32_t callback);
  void (*deref)(void* collector, const char* var, const char* weak_variable);
  void (*collect)(void* collector, int32_t young);
  void (*clear)(void* collector, uint32_t list); /* GCFUZZ_LIST_* */

  /* The heap view, read between ops (the integrity and reference-count checks). `object`
   * handles are the collector's own; NULL means no object. */
  /* Each strong variable that holds an object (null ones may be skipped). */
  void (*for_each_variable)(const void* collector, gcfuzz_visit_named visit, void* visit_context);
  /* Each bound weak variable, with its referent, or NULL once cleared. */
  void (*for_each_weak)(const void* collector, gcfuzz_visit_named visit, void* visit_context);
  /* Each object in the list (GCFUZZ_LIST_*), in any order. */
  void (*for_each_in_list)(const void* collector, uint32_t list, gcfuzz_visit_object visit,
                           void* visit_context);
  /* Every object not yet freed, reachable or not. */
  void (*for_each_object)(const void* collector, gcfuzz_visit_object visit, void* visit_context);
  /* Optional: the object a strong variable holds, or NULL; without it gcfuzz walks
   * for_each_variable. */
  const void* (*variable)(const void* collector, const char* name);
  gcfuzz_object_id (*id)(const void* collector, const void* object);
  int32_t (*slot_count)(const void* collector, const void* object);
  const void* (*slot)(const void* collector, const void* object, int32_t index); /* or NULL */
  /* Required when the collector declares `refcounts`, else optional: the object's count of
   * strong references, or a negative number for no answer. */
  int64_t (*refcount)(const void* collector, const void* object);
} gcfuzz_collector_ops;

/* One collector a plugin offers. */
typedef struct gcfuzz_collector_entry {
  /* `algorithm:policy` (for example `mark-sweep:java`), or `algorithm:policy~bug` for a
   * mutant. Unique among every collector gcfuzz knows; no space, no comma. */
  const char* name;
  const char* summary; /* one line: the algorithm, or the bug a mutant plants */
  /* The name of the collector this one is a known-buggy variant of, or NULL (or "") for a
   * real collector. A mutant must name a collector of the same table. */
  const char* mutant_of;
  const char* origin; /* whose implementation (`gcfuzz list`); NULL: the plugin's file name */
  gcfuzz_capabilities capabilities;
  const gcfuzz_collector_ops* ops;
  /* Optional: one-time set-up of a runtime the collector embeds. gcfuzz calls it before it
   * forks children to run traces, so they inherit it; `create` must work without it too. */
  void (*prepare)(void);
  /* The plugin's own, passed back to `create` through the entry; gcfuzz never reads it. One
   * ops table can serve a collector and its mutants, `data` telling them apart. */
  const void* data;
} gcfuzz_collector_entry;

/* What `gcfuzz_plugin()` returns. */
typedef struct gcfuzz_plugin_table {
  uint32_t abi_version; /* GCFUZZ_PLUGIN_ABI_VERSION, as the plugin was built */
  uint32_t collector_count;
  const gcfuzz_collector_entry* collectors;
} gcfuzz_plugin_table;

/* The entry point. Define it in exactly one file of the plugin:
 *   const gcfuzz_plugin_table* gcfuzz_plugin(void) { return &my_table; }
 * and export it (`GCFUZZ_PLUGIN_EXPORT` makes it visible with -fvisibility=hidden). */
#if defined(__GNUC__)
#define GCFUZZ_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define GCFUZZ_PLUGIN_EXPORT
#endif
typedef const gcfuzz_plugin_table* (*gcfuzz_plugin_entry_point)(void);
GCFUZZ_PLUGIN_EXPORT const gcfuzz_plugin_table* gcfuzz_plugin(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GCFUZZ_PLUGIN_H */
