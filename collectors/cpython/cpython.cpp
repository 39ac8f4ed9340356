// The embedded CPython 3.11 collector and its registration (see cpython.h).
#define PY_SSIZE_T_CLEAN
#include <Python.h>
// Python.h first, as the C API asks.
#include "collectors/cpython/cpython.h"

#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gcfuzz/collector.hpp"

namespace gcfuzz::cpython {

namespace {

// Planted misconfigurations of the adapter (not of CPython), which the harness must catch.
enum class Bug : std::uint8_t {
  none,
  // tp_traverse does not visit slot 1: the collector cannot subtract that internal reference,
  // so what it holds looks referenced from outside (the bug class of bpo-38006: a C type
  // whose traverse hides references).
  traverse_skips_slot,
  // tp_clear does not release slot 1: a cycle the collector breaks only there survives it.
  clear_skips_slot,
  // tp_dealloc clears weak references before the PEP 442 finalizer (the reverse of
  // subtype_dealloc's order): an object its finalizer resurrects has lost them.
  weakrefs_before_finalizer,
};

class Heap;

// An object of the trace. The header is CPython's; `owner` routes the hooks' events to the
// collector instance that allocated the object; `prev`/`next` chain the instance's live
// objects (HeapView::for_each_object, and the teardown).
// A variable-size object: ob_size is the payload's size in bytes, and the payload follows the
// struct (tp_itemsize 1), so CPython's allocator serves it by its own size classes.
struct Obj {
  PyObject_VAR_HEAD Heap* owner;
  Obj* prev;
  Obj* next;
  PyObject* weakreflist;  // CPython's list of weak references to this object
  std::uint32_t id;       // the public id, or a provisional one until the op ends
  std::uint8_t slot_count;
  Finalizer fin;
  PyObject* slots[kMaxSlots];  // strong references; null when empty

  std::span<std::byte> payload() {
    return {reinterpret_cast<std::byte*>(this + 1), static_cast<std::size_t>(Py_SIZE(this))};
  }
};

std::size_t g_live_objects = 0;

// ---- The types: one per finalizer kind ----

std::array<PyTypeObject, kFinalizerNames.size()> g_types{};

bool is_trace_object(PyObject* o) {
  for (PyTypeObject& t : g_types) {
    if (Py_TYPE(o) == &t) return true;
  }
  return false;
}

Obj* as_obj(PyObject* o) {
  return reinterpret_cast<Obj*>(o);
}

// One collector instance: the roots of a trace, and the events of its objects.
class Heap final : public Collector, private HeapView {
 public:
  Heap(Observer& observer, Bug bug);
  ~Heap() override;

  void alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) override;
  void link(std::string_view target, int slot, std::string_view source) override;
  void unlink(std::string_view target, int slot) override;
  void load(std::string_view var, std::string_view source, int slot) override;
  void copy(std::string_view var, std::string_view source) override;
  void drop(std::string_view var) override;
  void weak(std::string_view weak, std::string_view var, bool callback) override;
  void deref(std::string_view var, std::string_view weak) override;
  void collect(bool young) override;
  void clear(RootList list) override;

  const HeapView& view() const override { return *this; }

  // ---- Called by the types' hooks (never throw: they run inside CPython) ----
  Bug bug() const { return bug_; }
  void finalizer_ran(Obj* o);
  void freed(Obj* o);
  void callback_ran(const std::string& weak_variable);

 private:
  // HeapView
  void for_each_variable(const std::function<void(std::string_view, Ref)>& f) const override;
  void for_each_weak(const std::function<void(std::string_view, Ref)>& f) const override;
  void for_each_in_list(RootList list, const std::function<void(Ref)>& f) const override;
  void for_each_object(const std::function<void(Ref)>& f) const override;
  Ref variable(std::string_view name) const override { return lookup(name); }
  ObjectId id(Ref o) const override { return ObjectId{static_cast<const Obj*>(o)->id}; }
  int slot_count(Ref o) const override { return static_cast<const Obj*>(o)->slot_count; }
  Ref slot(Ref o, int i) const override { return static_cast<const Obj*>(o)->slots[i]; }
  std::optional<std::span<const std::byte>> payload(Ref o) const override {
    return const_cast<Obj*>(static_cast<const Obj*>(o))->payload();
  }
  std::optional<std::int64_t> refcount(Ref o) const override {
    return Py_REFCNT(static_cast<PyObject*>(const_cast<void*>(o)));
  }

  Obj* lookup(std::string_view var) const;
  // Binds `var` to `value` (null: unbinds it), taking a new reference, then releases the old.
  void set_variable(std::string_view var, PyObject* value);
  void forget_weak(std::string_view weak);
  // An `alloc` finalizer's effect.
  void allocate_for(Obj* creator);
  // Numbers this op's finalizer allocations and reports the weak variables it cleared.
  void end_op();

  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // A weak variable: a real weak reference. `live`: its referent was alive after the last
  // op (so a `cleared` event is still to come).
  struct WeakVariable {
    PyObject* ref;
    bool live;
  };

  Observer& observer_;
  const Bug bug_;
  bool tearing_down_ = false;
  Obj* live_ = nullptr;  // this instance's objects not yet deallocated
  std::unordered_map<std::string, PyObject*, NameHash, std::equal_to<>> variables_;
  std::map<std::string, WeakVariable, std::less<>> weak_;
  PyObject* revived_ = nullptr;  // a list
  FinalizerAllocations finalizer_allocations_;
  std::vector<Obj*> unnumbered_;  // this op's finalizer allocations still alive
  std::uint32_t next_id_ = 0;

  friend Obj* new_object(Heap&, int, Finalizer, std::uint32_t, ObjectId);
};

// ---- The interpreter: once per process ----

PyObject* g_gc_collect = nullptr;  // gc.collect
PyObject* g_garbage = nullptr;     // gc.garbage

[[noreturn]] void fail_with_python_error(std::string_view what) {
  std::string message(what);
  if (PyErr_Occurred()) {
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    if (value != nullptr) {
      if (PyObject* text = PyObject_Str(value)) {
        if (const char* utf8 = PyUnicode_AsUTF8(text)) message += std::string(": ") + utf8;
        Py_DECREF(text);
      }
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    PyErr_Clear();
  }
  throw std::runtime_error("CPython: " + message);
}

PyObject* checked(PyObject* result, std::string_view what) {
  if (result == nullptr) fail_with_python_error(what);
  return result;
}

int traverse(PyObject* self, visitproc visit, void* arg) {
  Obj* o = as_obj(self);
  for (int i = 0; i < o->slot_count; ++i) {
    if (i == 1 && o->owner->bug() == Bug::traverse_skips_slot) continue;
    Py_VISIT(o->slots[i]);
  }
  return 0;
}

int clear_slots(PyObject* self) {
  Obj* o = as_obj(self);
  for (int i = 0; i < o->slot_count; ++i) Py_CLEAR(o->slots[i]);
  return 0;
}

// tp_clear: what the collector calls to break the cycles of the trash it frees.
int gc_clear(PyObject* self) {
  Obj* o = as_obj(self);
  for (int i = 0; i < o->slot_count; ++i) {
    if (i == 1 && o->owner->bug() == Bug::clear_skips_slot) continue;
    Py_CLEAR(o->slots[i]);
  }
  return 0;
}

// tp_finalize of `log`, `resurrect` and `alloc` (CPython calls it at most once per object,
// from a refcount death or from a collection, and keeps the object alive while it runs).
void finalize(PyObject* self) {
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  as_obj(self)->owner->finalizer_ran(as_obj(self));
  PyErr_Restore(type, value, traceback);
}

// tp_del, the legacy finalizer: it only reports. CPython's collector never calls it (it puts
// the object in gc.garbage instead); the type's own dealloc does, on every death.
void legacy_del(PyObject* self) {
  as_obj(self)->owner->finalizer_ran(as_obj(self));
}

// The deallocation of SPEC 3.1 "Refcount death", in the order CPython's own subtype_dealloc
// follows: the PEP 442 finalizer (which may resurrect), weak references and their
// callbacks, the legacy finalizer, then the slots in order; then the memory.
void dealloc_body(PyObject* self) {
  Obj* o = as_obj(self);
  PyTypeObject* type = Py_TYPE(self);
  if (o->owner->bug() == Bug::weakrefs_before_finalizer && o->weakreflist != nullptr) {
    PyObject_ClearWeakRefs(self);
  }
  if (type->tp_finalize != nullptr) {
    // Tracked while the finalizer runs, as subtype_dealloc does: a resurrected object must
    // be tracked again (CPython then treats it as young).
    PyObject_GC_Track(self);
    if (PyObject_CallFinalizerFromDealloc(self) < 0) return;  // resurrected
    PyObject_GC_UnTrack(self);
  }
  if (o->weakreflist != nullptr) PyObject_ClearWeakRefs(self);
  if (type->tp_del != nullptr) type->tp_del(self);
  clear_slots(self);
  o->owner->freed(o);
  PyObject_GC_Del(self);
}

void dealloc(PyObject* self) {
  PyObject_GC_UnTrack(self);
  // The trashcan bounds the C stack: a long chain dies without deep recursion.
  Py_TRASHCAN_BEGIN(self, dealloc) dealloc_body(self);
  Py_TRASHCAN_END
}

PyTypeObject make_type(const char* name, Finalizer fin) {
  PyTypeObject t = {PyVarObject_HEAD_INIT(nullptr, 0)};
  t.tp_name = name;
  t.tp_basicsize = sizeof(Obj);
  t.tp_itemsize = 1;
  t.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
  t.tp_dealloc = dealloc;
  t.tp_traverse = traverse;
  t.tp_clear = gc_clear;
  t.tp_weaklistoffset = offsetof(Obj, weakreflist);
  if (fin == Finalizer::log || fin == Finalizer::resurrect || fin == Finalizer::alloc) {
    t.tp_finalize = finalize;
  }
  if (fin == Finalizer::legacy) t.tp_del = legacy_del;
  return t;
}

// The weak references' callback: a C function whose `self` is a capsule naming the weak
// variable and its collector.
struct CallbackTarget {
  Heap* heap;
  std::string weak_variable;
};

PyObject* on_weak_cleared(PyObject* capsule, PyObject* /*ref*/) {
  auto* target = static_cast<CallbackTarget*>(PyCapsule_GetPointer(capsule, "gcfuzz.weak"));
  if (target != nullptr) target->heap->callback_ran(target->weak_variable);
  Py_RETURN_NONE;
}

PyMethodDef g_callback_def = {"gcfuzz_weak_callback", on_weak_cleared, METH_O, nullptr};

void destroy_callback_target(PyObject* capsule) {
  delete static_cast<CallbackTarget*>(PyCapsule_GetPointer(capsule, "gcfuzz.weak"));
}

void call_gc(const char* method) {
  PyObject* gc = checked(PyImport_ImportModule("gc"), "import gc");
  Py_DECREF(checked(PyObject_CallMethod(gc, method, nullptr), method));
  Py_DECREF(gc);
}

// Initializes the interpreter once per process: isolated from the environment, no site
// import, automatic collection off, its start-up objects collected and then frozen (gc.freeze)
// so that no later collection examines or counts them.
void ensure_interpreter() {
  static bool ready = false;
  if (ready) return;
  if (!Py_IsInitialized()) {
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.site_import = 0;
    config.install_signal_handlers = 0;
    config.write_bytecode = 0;
    const PyStatus status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
      throw std::runtime_error(std::string("CPython: cannot initialize: ") +
                               (status.err_msg != nullptr ? status.err_msg : "unknown error"));
    }
  }
  if (std::string_view(Py_GetVersion()).substr(0, 5) != "3.11.") {
    throw std::runtime_error(std::string("CPython: expected 3.11, linked ") + Py_GetVersion());
  }
  for (std::size_t i = 0; i < g_types.size(); ++i) {
    static const char* const names[] = {"gcfuzz.Obj", "gcfuzz.FinLog", "gcfuzz.FinResurrect",
                                        "gcfuzz.FinAlloc", "gcfuzz.FinLegacy"};
    g_types[i] = make_type(names[i], static_cast<Finalizer>(i));
    if (PyType_Ready(&g_types[i]) < 0) fail_with_python_error("PyType_Ready");
  }
  PyObject* gc = checked(PyImport_ImportModule("gc"), "import gc");
  g_gc_collect = checked(PyObject_GetAttrString(gc, "collect"), "gc.collect");
  g_garbage = checked(PyObject_GetAttrString(gc, "garbage"), "gc.garbage");
  Py_DECREF(gc);
  call_gc("disable");
  call_gc("collect");
  if (PyList_SetSlice(g_garbage, 0, PY_SSIZE_T_MAX, nullptr) < 0) fail_with_python_error("del");
  call_gc("freeze");
  ready = true;
}

// ---- Objects ----

Obj* new_object(Heap& heap, int slots, Finalizer fin, std::uint32_t payload, ObjectId id) {
  Obj* o = PyObject_GC_NewVar(Obj, &g_types[static_cast<int>(fin)], payload);
  if (o == nullptr) fail_with_python_error("PyObject_GC_NewVar");
  fill_payload(id, o->payload());
  o->owner = &heap;
  o->weakreflist = nullptr;
  o->id = id.value;
  o->slot_count = static_cast<std::uint8_t>(slots);
  o->fin = fin;
  for (PyObject*& s : o->slots) s = nullptr;
  o->prev = nullptr;
  o->next = heap.live_;
  if (heap.live_ != nullptr) heap.live_->prev = o;
  heap.live_ = o;
  ++g_live_objects;
  PyObject_GC_Track(reinterpret_cast<PyObject*>(o));
  return o;
}

Heap::Heap(Observer& observer, Bug bug) : observer_(observer), bug_(bug) {
  ensure_interpreter();
  // The clean state every trace starts from.
  if (g_live_objects != 0 || PyList_GET_SIZE(g_garbage) != 0) {
    throw std::runtime_error("CPython: objects of an earlier trace are still alive");
  }
  revived_ = checked(PyList_New(0), "list");
}

// Leaves the interpreter as it found it: every reference between trace objects broken
// (so no cycle survives), every root released, and no event reported while it happens.
Heap::~Heap() {
  tearing_down_ = true;
  while (!weak_.empty()) forget_weak(weak_.begin()->first);
  std::vector<PyObject*> all;
  for (Obj* o = live_; o != nullptr; o = o->next) {
    Py_INCREF(o);
    all.push_back(reinterpret_cast<PyObject*>(o));
  }
  for (PyObject* o : all) clear_slots(o);
  for (PyObject* o : all) Py_DECREF(o);
  std::unordered_map<std::string, PyObject*, NameHash, std::equal_to<>> variables;
  variables.swap(variables_);
  for (auto& [name, value] : variables) Py_DECREF(value);
  Py_CLEAR(revived_);
  if (PyList_SetSlice(g_garbage, 0, PY_SSIZE_T_MAX, nullptr) < 0) PyErr_Clear();
  if (live_ != nullptr) {
    // A later trace would receive this one's events: stop here.
    std::fprintf(stderr, "gcfuzz: cpython: a trace object survived its trace (id %u)\n", live_->id);
    std::abort();
  }
}

void Heap::finalizer_ran(Obj* o) {
  if (tearing_down_) return;
  observer_.finalized(ObjectId{o->id});
  switch (o->fin) {
    case Finalizer::resurrect:
      if (PyList_Append(revived_, reinterpret_cast<PyObject*>(o)) < 0) {
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(o));
      }
      break;
    case Finalizer::alloc:
      allocate_for(o);
      break;
    default:
      break;
  }
}

void Heap::allocate_for(Obj* creator) {
  Obj* made = nullptr;
  try {
    made = new_object(*this, 0, Finalizer::none, 0,
                      finalizer_allocations_.provisional(ObjectId{creator->id}));
    unnumbered_.push_back(made);
  } catch (const std::exception&) {
    PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(creator));
    return;
  }
  if (creator->slot_count > 0) {
    PyObject* old = creator->slots[0];
    creator->slots[0] = reinterpret_cast<PyObject*>(made);  // takes the new reference
    Py_XDECREF(old);
  } else {
    Py_DECREF(made);  // nothing holds it: it dies at once
  }
}

void Heap::freed(Obj* o) {
  if (o->prev != nullptr) {
    o->prev->next = o->next;
  } else {
    live_ = o->next;
  }
  if (o->next != nullptr) o->next->prev = o->prev;
  --g_live_objects;
  if (FinalizerAllocations::is_provisional(ObjectId{o->id})) {
    std::erase(unnumbered_, o);
  }
  if (!tearing_down_) observer_.freed(ObjectId{o->id});
}

void Heap::callback_ran(const std::string& weak_variable) {
  if (!tearing_down_) observer_.callback_ran(weak_variable);
}

// ---- Mutator ops ----

Obj* Heap::lookup(std::string_view var) const {
  auto it = variables_.find(var);
  return it == variables_.end() ? nullptr : as_obj(it->second);
}

void Heap::set_variable(std::string_view var, PyObject* value) {
  PyObject* old = nullptr;
  auto it = variables_.find(var);
  if (value != nullptr) {
    Py_INCREF(value);
    if (it == variables_.end()) {
      variables_.emplace(std::string(var), value);
    } else {
      old = std::exchange(it->second, value);
    }
  } else if (it != variables_.end()) {
    old = it->second;
    variables_.erase(it);
  }
  Py_XDECREF(old);
}

void Heap::alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) {
  PyObject* o =
      reinterpret_cast<PyObject*>(new_object(*this, slots, fin, payload, ObjectId{next_id_++}));
  set_variable(var, o);
  Py_DECREF(o);
  end_op();
}

void Heap::link(std::string_view target, int slot, std::string_view source) {
  Obj* t = lookup(target);
  Obj* s = lookup(source);
  if (t != nullptr && s != nullptr && slot < t->slot_count) {
    Py_INCREF(s);
    PyObject* old = std::exchange(t->slots[slot], reinterpret_cast<PyObject*>(s));
    Py_XDECREF(old);
  }
  end_op();
}

void Heap::unlink(std::string_view target, int slot) {
  Obj* t = lookup(target);
  if (t != nullptr && slot < t->slot_count) Py_CLEAR(t->slots[slot]);
  end_op();
}

void Heap::load(std::string_view var, std::string_view source, int slot) {
  Obj* s = lookup(source);
  if (s != nullptr && slot < s->slot_count) set_variable(var, s->slots[slot]);
  end_op();
}

void Heap::copy(std::string_view var, std::string_view source) {
  if (Obj* s = lookup(source)) set_variable(var, reinterpret_cast<PyObject*>(s));
  end_op();
}

void Heap::forget_weak(std::string_view weak) {
  auto it = weak_.find(weak);
  if (it == weak_.end()) return;
  PyObject* ref = it->second.ref;
  weak_.erase(it);
  Py_DECREF(ref);  // a weak reference that dies runs no callback
}

void Heap::drop(std::string_view var) {
  forget_weak(var);
  set_variable(var, nullptr);
  end_op();
}

void Heap::weak(std::string_view weak, std::string_view var, bool callback) {
  Obj* referent = lookup(var);
  if (referent == nullptr) return end_op();
  forget_weak(weak);
  PyObject* function = nullptr;
  if (callback) {
    auto* target = new CallbackTarget{this, std::string(weak)};
    PyObject* capsule = PyCapsule_New(target, "gcfuzz.weak", destroy_callback_target);
    if (capsule == nullptr) {
      delete target;
      fail_with_python_error("PyCapsule_New");
    }
    function = PyCFunction_New(&g_callback_def, capsule);
    Py_DECREF(capsule);
    checked(function, "PyCFunction_New");
  }
  PyObject* ref = PyWeakref_NewRef(reinterpret_cast<PyObject*>(referent), function);
  Py_XDECREF(function);
  checked(ref, "PyWeakref_NewRef");
  weak_.emplace(std::string(weak), WeakVariable{ref, true});
  end_op();
}

void Heap::deref(std::string_view var, std::string_view weak) {
  auto it = weak_.find(weak);
  if (it != weak_.end()) {
    PyObject* referent = PyWeakref_GetObject(it->second.ref);  // borrowed; None once cleared
    set_variable(var, referent == Py_None ? nullptr : referent);
  }
  end_op();
}

void Heap::collect(bool young) {
  const Py_ssize_t garbage_before = PyList_GET_SIZE(g_garbage);
  PyObject* result =
      young ? PyObject_CallFunction(g_gc_collect, "i", 0) : PyObject_CallNoArgs(g_gc_collect);
  checked(result, "gc.collect");
  const long long collected = PyLong_AsLongLong(result);
  Py_DECREF(result);
  for (Py_ssize_t i = garbage_before; i < PyList_GET_SIZE(g_garbage); ++i) {
    PyObject* o = PyList_GET_ITEM(g_garbage, i);
    if (is_trace_object(o)) observer_.appended_to_garbage(ObjectId{as_obj(o)->id});
  }
  observer_.collected(collected);
  end_op();
}

void Heap::clear(RootList list) {
  if (list == RootList::revived) {
    // The items are released after the list is empty: a finalizer that resurrects while
    // they are released appends to the emptied list, as `del revived[:]` would.
    if (PyList_SetSlice(revived_, 0, PY_SSIZE_T_MAX, nullptr) < 0) {
      fail_with_python_error("del revived[:]");
    }
  } else if (PyList_SetSlice(g_garbage, 0, PY_SSIZE_T_MAX, nullptr) < 0) {
    fail_with_python_error("del gc.garbage[:]");
  }
  end_op();
}

void Heap::end_op() {
  for (const auto& [provisional, final] : finalizer_allocations_.settle(next_id_, observer_)) {
    for (Obj* o : unnumbered_) {
      if (o->id == provisional.value) o->id = final.value;
    }
  }
  unnumbered_.clear();
  for (auto& [name, w] : weak_) {
    if (w.live && PyWeakref_GetObject(w.ref) == Py_None) {
      w.live = false;
      observer_.cleared(name);
    }
  }
}

// ---- HeapView ----

void Heap::for_each_variable(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, value] : variables_) f(name, value);
}

void Heap::for_each_weak(const std::function<void(std::string_view, Ref)>& f) const {
  for (const auto& [name, w] : weak_) {
    PyObject* referent = PyWeakref_GetObject(w.ref);
    f(name, referent == Py_None ? nullptr : referent);
  }
}

void Heap::for_each_in_list(RootList list, const std::function<void(Ref)>& f) const {
  PyObject* items = list == RootList::revived ? revived_ : g_garbage;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); ++i) {
    PyObject* o = PyList_GET_ITEM(items, i);
    if (is_trace_object(o)) f(o);
  }
}

void Heap::for_each_object(const std::function<void(Ref)>& f) const {
  for (const Obj* o = live_; o != nullptr; o = o->next) f(o);
}

// ---- Registration ----

constexpr Capabilities kCPython{
    .policy = Policy::pep442,
    .precision = Precision::exact,
    .collects_cycles = true,
    .generational = true,
    .refcounts = true,
};

template <Bug B>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<Heap>(observer, B);
}

constexpr std::string_view kOrigin = "CPython 3.11 (libpython3.11, embedded)";

}  // namespace

std::size_t live_objects() {
  return g_live_objects;
}

}  // namespace gcfuzz::cpython

namespace gcfuzz {

std::span<const CollectorInfo> cpython_collectors() {
  using cpython::Bug;
  static const CollectorInfo entries[] = {
      {"cpython-3.11:pep442",
       "the real CPython 3.11 collector, embedded: C types with tp_traverse, tp_finalize and "
       "tp_del, real weak references, gc.garbage",
       cpython::kCPython, "", cpython::make<Bug::none>, cpython::kOrigin,
       cpython::ensure_interpreter},
      {"cpython-3.11:pep442~traverse-skips-slot",
       "the adapter's tp_traverse skips slot 1, so CPython sees an outside reference where "
       "there is none (bpo-38006's class)",
       cpython::kCPython, "cpython-3.11:pep442", cpython::make<Bug::traverse_skips_slot>,
       cpython::kOrigin, cpython::ensure_interpreter},
      {"cpython-3.11:pep442~clear-skips-slot",
       "the adapter's tp_clear does not release slot 1, so a cycle the collector can break "
       "only there survives it",
       cpython::kCPython, "cpython-3.11:pep442", cpython::make<Bug::clear_skips_slot>,
       cpython::kOrigin, cpython::ensure_interpreter},
      {"cpython-3.11:pep442~weakrefs-before-finalizer",
       "the adapter's tp_dealloc clears weak references before tp_finalize, so an object "
       "resurrected on the refcount path has lost them",
       cpython::kCPython, "cpython-3.11:pep442", cpython::make<Bug::weakrefs_before_finalizer>,
       cpython::kOrigin, cpython::ensure_interpreter},
  };
  return entries;
}

}  // namespace gcfuzz

// Under LeakSanitizer: what the interpreter allocates for its own life (it is initialized once
// and never finalized) is not a leak of the trace.
#if defined(__SANITIZE_ADDRESS__)
#define GCFUZZ_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GCFUZZ_LSAN 1
#endif
#endif
#ifdef GCFUZZ_LSAN
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libpython3.11.so\n";
}
extern "C" const char* __lsan_default_options() {
  return "print_suppressions=0";
}
#endif
