/* A precise mark-sweep collector with Java finalization, in plain C, as a gcfuzz plugin.
 *
 * It is the example of docs/plugins.md: a collector that lives outside gcfuzz's tree, built
 * against an installed gcfuzz (CMakeLists.txt beside it), and fuzzed by gcfuzz's verbs with
 * `--plugin`. It follows the `java` policy (SPEC.md section 3.4): no reference counts, so
 * nothing dies between collections; a collection frees the trash that no finalizable trash
 * reaches, clears weak references into the trash first, and runs each finalizer once.
 *
 * Objects come from malloc and go back with free: under AddressSanitizer a stale pointer to
 * a freed object then traps. The heap is a handful of dynamic arrays; lookups are linear,
 * which is plenty for fuzzing traces.
 *
 * Two mutants, realistic single bugs that gcfuzz must catch:
 * - `c-mark-sweep:java~revived-not-root`: marking starts from the variables only, not from
 *   the `revived` list, so an object its finalizer resurrected is freed by the next
 *   collection although `revived` holds it.
 * - `c-mark-sweep:java~frees-what-finalizers-reach`: finalizable trash is kept for its
 *   finalizer, but what it reaches is freed at once, so a finalizer would read freed memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gcfuzz/plugin.h>

enum bug { NO_BUG, REVIVED_NOT_ROOT, FREES_WHAT_FINALIZERS_REACH };

typedef struct object {
  gcfuzz_object_id id;
  uint32_t finalizer;
  int finalized;
  int mark;
  int32_t slot_count;
  struct object* slots[]; /* NULL when empty */
} object;

typedef struct {
  char* name;
  object* value;
} binding;

typedef struct {
  char* name;
  object* referent; /* NULL once cleared */
  int callback;
} weak_binding;

/* A growable array of pointers. */
typedef struct {
  void** items;
  size_t size, capacity;
} array;

static void push(array* a, void* item) {
  if (a->size == a->capacity) {
    a->capacity = a->capacity ? 2 * a->capacity : 16;
    a->items = realloc(a->items, a->capacity * sizeof *a->items);
    if (!a->items) abort();
  }
  a->items[a->size++] = item;
}

typedef struct {
  const gcfuzz_events* events;
  enum bug bug;
  gcfuzz_object_id next_id;
  array objects;   /* object*: every object not freed */
  array variables; /* binding* */
  array weaks;     /* weak_binding* */
  array revived;   /* object* */
} heap;

static char* copy_name(const char* name) {
  const size_t size = strlen(name) + 1;
  char* copy = malloc(size);
  if (!copy) abort();
  return memcpy(copy, name, size);
}

static binding* find_binding(const heap* h, const char* name) {
  for (size_t i = 0; i < h->variables.size; ++i) {
    binding* b = h->variables.items[i];
    if (strcmp(b->name, name) == 0) return b;
  }
  return NULL;
}

static object* variable(const heap* h, const char* name) {
  const binding* b = find_binding(h, name);
  return b ? b->value : NULL;
}

static void set_variable(heap* h, const char* name, object* value) {
  binding* b = find_binding(h, name);
  if (!b) {
    if (!value) return;
    b = malloc(sizeof *b);
    if (!b) abort();
    b->name = copy_name(name);
    push(&h->variables, b);
  }
  b->value = value;
}

static weak_binding* find_weak(const heap* h, const char* name) {
  for (size_t i = 0; i < h->weaks.size; ++i) {
    weak_binding* w = h->weaks.items[i];
    if (strcmp(w->name, name) == 0) return w;
  }
  return NULL;
}

/* The payload (`bytes=B`) follows the slots in the same block: malloc sees the real sizes. */
static object* new_object(heap* h, int32_t slots, uint32_t finalizer, uint64_t payload,
                          gcfuzz_object_id id) {
  object* o = calloc(1, sizeof *o + (size_t)slots * sizeof(object*) + (size_t)payload);
  if (!o) abort();
  o->id = id;
  o->finalizer = finalizer;
  o->slot_count = slots;
  push(&h->objects, o);
  return o;
}

/* ---- Ops (SPEC.md section 1.3: unbound or null sources and missing slots are no-ops) ---- */

static void op_alloc(void* c, const char* var, int32_t slots, uint32_t finalizer, uint64_t size) {
  heap* h = c;
  set_variable(h, var, new_object(h, slots, finalizer, size, h->next_id++));
}

static void op_link(void* c, const char* target, int32_t slot, const char* source) {
  heap* h = c;
  object* t = variable(h, target);
  object* s = variable(h, source);
  if (t && s && slot < t->slot_count) t->slots[slot] = s;
}

static void op_unlink(void* c, const char* target, int32_t slot) {
  heap* h = c;
  object* t = variable(h, target);
  if (t && slot < t->slot_count) t->slots[slot] = NULL;
}

static void op_load(void* c, const char* var, const char* source, int32_t slot) {
  heap* h = c;
  object* s = variable(h, source);
  if (s && slot < s->slot_count) set_variable(h, var, s->slots[slot]);
}

static void op_copy(void* c, const char* var, const char* source) {
  heap* h = c;
  object* s = variable(h, source);
  if (s) set_variable(h, var, s);
}

static void op_drop(void* c, const char* var) {
  heap* h = c;
  for (size_t i = 0; i < h->weaks.size; ++i) {
    weak_binding* w = h->weaks.items[i];
    if (strcmp(w->name, var) == 0) {
      free(w->name);
      free(w);
      h->weaks.items[i] = h->weaks.items[--h->weaks.size];
      break;
    }
  }
  set_variable(h, var, NULL);
}

static void op_weak(void* c, const char* weak, const char* var, int32_t callback) {
  heap* h = c;
  object* referent = variable(h, var);
  if (!referent) return;
  weak_binding* w = find_weak(h, weak);
  if (!w) {
    w = malloc(sizeof *w);
    if (!w) abort();
    w->name = copy_name(weak);
    push(&h->weaks, w);
  }
  w->referent = referent;
  w->callback = callback;
}

static void op_deref(void* c, const char* var, const char* weak) {
  heap* h = c;
  const weak_binding* w = find_weak(h, weak);
  if (w) set_variable(h, var, w->referent);
}

static void op_clear(void* c, uint32_t list) {
  heap* h = c;
  if (list == GCFUZZ_LIST_REVIVED) h->revived.size = 0; /* `garbage` is always empty here */
}

/* ---- Collection (SPEC.md section 3.4) ---- */

/* Marks with `mark` everything reachable from `start`, following slots; an explicit stack,
 * never recursion, so a long chain cannot overflow the C stack. */
static void mark_from(array* stack, object* start, int mark) {
  if (!start || start->mark == mark) return;
  start->mark = mark;
  push(stack, start);
  while (stack->size > 0) {
    object* o = stack->items[--stack->size];
    for (int32_t i = 0; i < o->slot_count; ++i) {
      object* t = o->slots[i];
      if (t && t->mark == 0) {
        t->mark = mark;
        push(stack, t);
      }
    }
  }
}

enum { UNMARKED = 0, REACHABLE = 1, KEPT_FOR_FINALIZER = 2 };

static int by_id(const void* a, const void* b) {
  const object* x = *(object* const*)a;
  const object* y = *(object* const*)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void op_collect(void* c, int32_t young) {
  heap* h = c;
  (void)young; /* not generational: a young collection is a full one */
  array stack = {0};
  for (size_t i = 0; i < h->objects.size; ++i) ((object*)h->objects.items[i])->mark = UNMARKED;

  /* 1. Mark from the roots: the variables and `revived`. */
  for (size_t i = 0; i < h->variables.size; ++i) {
    mark_from(&stack, ((binding*)h->variables.items[i])->value, REACHABLE);
  }
  if (h->bug != REVIVED_NOT_ROOT) {
    for (size_t i = 0; i < h->revived.size; ++i) mark_from(&stack, h->revived.items[i], REACHABLE);
  }

  /* 2. Weak references into the trash are cleared, then their callbacks run. */
  array cleared = {0};
  for (size_t i = 0; i < h->weaks.size; ++i) {
    weak_binding* w = h->weaks.items[i];
    if (w->referent && w->referent->mark == UNMARKED) {
      w->referent = NULL;
      h->events->cleared(h->events->context, w->name);
      push(&cleared, w);
    }
  }
  for (size_t i = 0; i < cleared.size; ++i) {
    const weak_binding* w = cleared.items[i];
    if (w->callback) h->events->callback_ran(h->events->context, w->name);
  }
  free(cleared.items);

  /* 3. F: trash whose finalizer never ran. It, and what it reaches, survive this time. */
  array finalizable = {0};
  for (size_t i = 0; i < h->objects.size; ++i) {
    object* o = h->objects.items[i];
    if (o->mark == UNMARKED && o->finalizer != GCFUZZ_FINALIZER_NONE && !o->finalized) {
      push(&finalizable, o);
    }
  }
  for (size_t i = 0; i < finalizable.size; ++i) {
    object* f = finalizable.items[i];
    if (h->bug == FREES_WHAT_FINALIZERS_REACH) {
      f->mark = KEPT_FOR_FINALIZER;
    } else {
      mark_from(&stack, f, KEPT_FOR_FINALIZER);
    }
  }

  /* 4. Sweep: free the rest of the trash. */
  int64_t freed = 0;
  size_t kept = 0;
  for (size_t i = 0; i < h->objects.size; ++i) {
    object* o = h->objects.items[i];
    if (o->mark == UNMARKED) {
      h->events->freed(h->events->context, o->id);
      free(o);
      ++freed;
    } else {
      h->objects.items[kept++] = o;
    }
  }
  h->objects.size = kept;

  /* 5. Finalizers of F, in id order, once each. */
  if (finalizable.size > 1)
    qsort(finalizable.items, finalizable.size, sizeof *finalizable.items, by_id);
  array allocated = {0}; /* objects finalizers allocate: numbered when the op ends */
  for (size_t i = 0; i < finalizable.size; ++i) {
    object* f = finalizable.items[i];
    f->finalized = 1;
    h->events->finalized(h->events->context, f->id);
    if (f->finalizer == GCFUZZ_FINALIZER_RESURRECT) {
      push(&h->revived, f);
    } else if (f->finalizer == GCFUZZ_FINALIZER_ALLOC) {
      object* fresh = new_object(h, 0, GCFUZZ_FINALIZER_NONE, 0, GCFUZZ_PROVISIONAL_ID_BIT | f->id);
      if (f->slot_count > 0) f->slots[0] = fresh;
      push(&allocated, fresh);
    }
  }
  h->events->collected(h->events->context, freed);

  /* 6. Number the finalizers' allocations in the order of their creators' ids (SPEC.md 1.2);
   *    they were made in that order, since the finalizers ran in id order. */
  for (size_t i = 0; i < allocated.size; ++i) {
    object* o = allocated.items[i];
    const gcfuzz_object_id final_id = h->next_id++;
    h->events->renumbered(h->events->context, o->id, final_id);
    o->id = final_id;
  }
  free(allocated.items);
  free(finalizable.items);
  free(stack.items);
}

/* ---- The heap view ---- */

static void view_variables(const void* c, gcfuzz_visit_named visit, void* context) {
  const heap* h = c;
  for (size_t i = 0; i < h->variables.size; ++i) {
    const binding* b = h->variables.items[i];
    if (b->value) visit(context, b->name, b->value);
  }
}

static void view_weaks(const void* c, gcfuzz_visit_named visit, void* context) {
  const heap* h = c;
  for (size_t i = 0; i < h->weaks.size; ++i) {
    const weak_binding* w = h->weaks.items[i];
    visit(context, w->name, w->referent);
  }
}

static void view_list(const void* c, uint32_t list, gcfuzz_visit_object visit, void* context) {
  const heap* h = c;
  if (list != GCFUZZ_LIST_REVIVED) return;
  for (size_t i = 0; i < h->revived.size; ++i) visit(context, h->revived.items[i]);
}

static void view_objects(const void* c, gcfuzz_visit_object visit, void* context) {
  const heap* h = c;
  for (size_t i = 0; i < h->objects.size; ++i) visit(context, h->objects.items[i]);
}

static const void* view_variable(const void* c, const char* name) {
  return variable(c, name);
}

static gcfuzz_object_id view_id(const void* c, const void* o) {
  (void)c;
  return ((const object*)o)->id;
}

static int32_t view_slot_count(const void* c, const void* o) {
  (void)c;
  return ((const object*)o)->slot_count;
}

static const void* view_slot(const void* c, const void* o, int32_t index) {
  (void)c;
  return ((const object*)o)->slots[index];
}

/* ---- Life cycle and the table ---- */

static void* create(const gcfuzz_collector_entry* entry, const gcfuzz_events* events) {
  heap* h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->events = events;
  h->bug = *(const enum bug*)entry->data;
  return h;
}

static void destroy(void* c) {
  heap* h = c;
  for (size_t i = 0; i < h->objects.size; ++i) free(h->objects.items[i]);
  for (size_t i = 0; i < h->variables.size; ++i) {
    binding* b = h->variables.items[i];
    free(b->name);
    free(b);
  }
  for (size_t i = 0; i < h->weaks.size; ++i) {
    weak_binding* w = h->weaks.items[i];
    free(w->name);
    free(w);
  }
  free(h->objects.items);
  free(h->variables.items);
  free(h->weaks.items);
  free(h->revived.items);
  free(h);
}

static const gcfuzz_collector_ops ops = {
    .create = create,
    .destroy = destroy,
    .alloc = op_alloc,
    .link = op_link,
    .unlink = op_unlink,
    .load = op_load,
    .copy = op_copy,
    .drop = op_drop,
    .weak = op_weak,
    .deref = op_deref,
    .collect = op_collect,
    .clear = op_clear,
    .for_each_variable = view_variables,
    .for_each_weak = view_weaks,
    .for_each_in_list = view_list,
    .for_each_object = view_objects,
    .variable = view_variable,
    .id = view_id,
    .slot_count = view_slot_count,
    .slot = view_slot,
    .refcount = NULL, /* no reference counts */
};

/* Java finalization, exact, collects cycles, no generations (a macro: C wants constant
 * initializers). */
#define CAPABILITIES                                                                         \
  {                                                                                          \
    .policy = GCFUZZ_POLICY_JAVA, .precision = GCFUZZ_PRECISION_EXACT, .collects_cycles = 1, \
    .generational = 0, .moving = 0, .incremental = 0, .refcounts = 0                         \
  }

static const enum bug no_bug = NO_BUG, revived_not_root = REVIVED_NOT_ROOT,
                      frees_what_finalizers_reach = FREES_WHAT_FINALIZERS_REACH;

static const gcfuzz_collector_entry collectors[] = {
    {.name = "c-mark-sweep:java",
     .summary = "precise mark-sweep in plain C, Java finalization (an example plugin)",
     .origin = "examples/c-plugin",
     .capabilities = CAPABILITIES,
     .ops = &ops,
     .data = &no_bug},
    {.name = "c-mark-sweep:java~revived-not-root",
     .summary = "marking does not start from `revived`: a resurrected object is freed",
     .mutant_of = "c-mark-sweep:java",
     .capabilities = CAPABILITIES,
     .ops = &ops,
     .data = &revived_not_root},
    {.name = "c-mark-sweep:java~frees-what-finalizers-reach",
     .summary = "keeps finalizable trash but frees what it reaches",
     .mutant_of = "c-mark-sweep:java",
     .capabilities = CAPABILITIES,
     .ops = &ops,
     .data = &frees_what_finalizers_reach},
};

static const gcfuzz_plugin_table table = {
    .abi_version = GCFUZZ_PLUGIN_ABI_VERSION,
    .collector_count = sizeof collectors / sizeof collectors[0],
    .collectors = collectors,
};

GCFUZZ_PLUGIN_EXPORT const gcfuzz_plugin_table* gcfuzz_plugin(void) {
  return &table;
}
