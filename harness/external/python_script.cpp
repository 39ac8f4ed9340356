// Writes the Python reproduction of a trace. The prelude is fixed; each op becomes one
// `run(...)` call. What the prelude avoids, and why, is what measuring CPython taught:
// - no `json` module (Python 2's builds reference cycles, which `gc.collect()` would count);
// - frees are found by scanning gc.get_objects(), never with weak references (a weak
//   reference changes what CPython does);
// - start-up garbage is collected before the first op;
// - no helper keeps a reference to a trace object once it returns.
#include "harness/external/python_script.h"

#include <fmt/format.h>

#include "harness/trace/text.h"

namespace gcfuzz {

namespace {

constexpr std::string_view kPrelude = R"PY(import gc
import sys
import weakref

gc.disable()
try:
    import _testcapi
    with_tp_del = getattr(_testcapi, 'with_tp_del', None)
except ImportError:
    with_tp_del = None

SLOTS = tuple('s%d' % i for i in range(16))
FINALIZED = []  # ids whose finalizer ran during the op in progress
CALLBACKS = []  # weak variables whose callback ran during the op in progress
ALLOCATED = []  # ids of the objects whose finalizer allocated during the op in progress
NEXT_ID = [0]
ALIVE = [set()]
revived = []
V = {}  # strong variables
W = {}  # weak variables


class Obj(object):
    __slots__ = ('_id', '_n') + SLOTS + ('__weakref__',)


class FinLog(Obj):
    __slots__ = ()

    def __del__(self):
        FINALIZED.append(self._id)


class FinResurrect(Obj):
    __slots__ = ()

    def __del__(self):
        FINALIZED.append(self._id)
        revived.append(self)


class FinAlloc(Obj):
    __slots__ = ()

    def __del__(self):
        FINALIZED.append(self._id)
        fresh = Obj()
        fresh._n = 0
        fresh._id = -1 - self._id  # numbered when the op ends, by creator id
        ALLOCATED.append(self._id)
        if self._n > 0:
            self.s0 = fresh


if sys.version_info[0] >= 3:
    class FinLegacy(Obj):
        __slots__ = ()

        def __tp_del__(self):
            FINALIZED.append(self._id)

    if with_tp_del is not None:
        FinLegacy = with_tp_del(FinLegacy)
    else:
        FinLegacy = None
else:
    class FinLegacy(Obj):
        __slots__ = ()

        def __del__(self):
            FINALIZED.append(self._id)


def new(cls, n):
    o = cls()
    o._n = n
    o._id = NEXT_ID[0]
    NEXT_ID[0] += 1
    return o


def op_alloc(v, n, cls):
    if cls is None:
        sys.exit('gcfuzz: this interpreter has no _testcapi.with_tp_del for fin=legacy')
    V[v] = new(cls, n)


def op_link(v, s, w):
    o = V.get(v)
    t = V.get(w)
    if o is None or t is None or s >= o._n:
        return
    setattr(o, SLOTS[s], t)


def op_unlink(v, s):
    o = V.get(v)
    if o is None or s >= o._n:
        return
    setattr(o, SLOTS[s], None)


def op_load(v, w, s):
    o = V.get(w)
    if o is None or s >= o._n:
        return
    V[v] = getattr(o, SLOTS[s], None)


def op_copy(v, w):
    o = V.get(w)
    if o is None:
        return
    V[v] = o


def op_drop(v):
    W.pop(v, None)
    V.pop(v, None)


def on_clear(name):
    def callback(ref):
        CALLBACKS.append(name)
    return callback


def op_weak(w, v, cb):
    o = V.get(v)
    if o is None:
        return
    if cb:
        W[w] = weakref.ref(o, on_clear(w))
    else:
        W[w] = weakref.ref(o)


def op_deref(v, w):
    r = W.get(w)
    if r is None:
        return
    V[v] = r()


def op_collect(young):
    if young:
        return gc.collect(0)
    return gc.collect()


def op_clear_revived():
    del revived[:]


def op_clear_garbage():
    del gc.garbage[:]


def op_expect():
    pass


def alive_ids(numbering):
    ids = set()
    for o in gc.get_objects():
        if isinstance(o, Obj):
            if o._id < 0:
                o._id = numbering[o._id]
            ids.add(o._id)
    return ids


def ints(values):
    return '[' + ', '.join([str(i) for i in sorted(values)]) + ']'


def names(values):
    return '[' + ', '.join(['"%s"' % s for s in sorted(values)]) + ']'


def run(index, text, action, *args):
    del FINALIZED[:]
    del CALLBACKS[:]
    del ALLOCATED[:]
    garbage_before = len(gc.garbage)
    # Ids, not the weak references themselves: holding one would keep it alive through
    # the op, and a weak variable the op drops would then still run its callback.
    weak_before = [(name, id(W[name])) for name in W if W[name]() is not None]
    result = action(*args)
    numbering = {}
    for creator in sorted(ALLOCATED):
        numbering[-1 - creator] = NEXT_ID[0]
        NEXT_ID[0] += 1
    alive = alive_ids(numbering)
    freed = (ALIVE[0] | set(numbering.values())) - alive
    ALIVE[0] = alive
    garbage = [o._id for o in gc.garbage[garbage_before:]]
    cleared = [name for (name, ref_id) in weak_before
               if name in W and id(W[name]) == ref_id and W[name]() is None]
    line = '{"op": %d, "text": "%s", "freed": %s, "finalized": %s, "garbage": %s, ' \
           '"cleared": %s, "callbacks": %s' % (
               index, text, ints(freed), ints(FINALIZED), ints(garbage), names(cleared),
               names(CALLBACKS))
    if action is op_collect:
        line += ', "collected": %d' % result
    sys.stdout.write(line + '}\n')


gc.collect()
del gc.garbage[:]
)PY";

// The interpreter ends right after the last op. Its normal teardown would finalize what the
// trace left alive (under 2.7 with module globals already gone, so a resurrecting __del__
// fails and says so on stderr); none of that belongs to the trace.
constexpr std::string_view kEpilogue = R"PY(
sys.stdout.flush()
import os
os._exit(0)
)PY";

struct OpCall {
  std::string operator()(const Alloc& o) const {
    static constexpr std::array<std::string_view, 5> classes = {"Obj", "FinLog", "FinResurrect",
                                                                "FinAlloc", "FinLegacy"};
    return fmt::format("op_alloc, '{}', {}, {}", o.var.name, o.slots.count,
                       classes[static_cast<int>(o.fin.kind)]);
  }
  std::string operator()(const Link& o) const {
    return fmt::format("op_link, '{}', {}, '{}'", o.target.name, o.slot.index, o.source.name);
  }
  std::string operator()(const Unlink& o) const {
    return fmt::format("op_unlink, '{}', {}", o.target.name, o.slot.index);
  }
  std::string operator()(const Load& o) const {
    return fmt::format("op_load, '{}', '{}', {}", o.var.name, o.source.name, o.slot.index);
  }
  std::string operator()(const Copy& o) const {
    return fmt::format("op_copy, '{}', '{}'", o.var.name, o.source.name);
  }
  std::string operator()(const Drop& o) const { return fmt::format("op_drop, '{}'", o.var.name); }
  std::string operator()(const Weak& o) const {
    return fmt::format("op_weak, '{}', '{}', {}", o.weak.name, o.var.name,
                       o.callback.on ? "True" : "False");
  }
  std::string operator()(const Deref& o) const {
    return fmt::format("op_deref, '{}', '{}'", o.var.name, o.weak.name);
  }
  std::string operator()(const Collect& o) const {
    return fmt::format("op_collect, {}", o.young.on ? "True" : "False");
  }
  std::string operator()(const Clear& o) const {
    return o.list.list == RootList::revived ? "op_clear_revived" : "op_clear_garbage";
  }
  template <ExpectOp T>
  std::string operator()(const T&) const {
    return "op_expect";
  }
};

}  // namespace

std::string python_script(const Trace& trace) {
  std::string out =
      "# -*- coding: utf-8 -*-\n"
      "# Generated by `gcfuzz show --python`: performs this trace in CPython (2.7 or 3.x)\n"
      "# and prints, per op, the same JSON events as `gcfuzz model --json`.\n";
  for (const std::string& line : trace.header) out += "# " + line + "\n";
  out += kPrelude;
  out += "\n";
  for (std::size_t i = 0; i < trace.ops.size(); ++i) {
    out += fmt::format("run({}, '{}', {})\n", i, print_op(trace.ops[i]),
                       std::visit(OpCall{}, trace.ops[i]));
  }
  out += kEpilogue;
  return out;
}

}  // namespace gcfuzz
