# gcfuzz's adapter for CPython 2.7 and 3.x: speaks gcfuzz's line protocol (docs/protocol.md
# in gcfuzz's repository) on stdin and stdout, performing each op of a trace on real CPython
# objects and reporting what the interpreter did. `gcfuzz run -c python:PATH` runs PATH on this
# script; any other program may too (`--exec py='python3 cpython_adapter.py'`).
#
# The first part, between the two marker lines, is also the prelude of the scripts that
# `gcfuzz show --python` writes (one `run(...)` call per op). What it avoids, and why, is what
# measuring CPython taught:
# - no `json` module (Python 2's builds reference cycles, which `gc.collect()` would count);
# - frees are found by scanning gc.get_objects(), never with weak references (a weak
#   reference changes what CPython does);
# - start-up garbage is collected before the first op;
# - no helper keeps a reference to a trace object once it returns.
# gcfuzz: the prelude of `gcfuzz show --python` starts here.
import gc
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
# False while the op in progress can free nothing (the adapter knows it released no last
# reference): `run` then skips its scan of gc.get_objects(), which costs most of an op.
SCAN = [True]
revived = []
V = {}  # strong variables
W = {}  # weak variables


class Obj(object):
    __slots__ = ('_id', '_n', '_payload') + SLOTS + ('__weakref__',)


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


def op_alloc(v, n, cls, size=0):
    if cls is None:
        sys.exit('gcfuzz: this interpreter has no _testcapi.with_tp_del for fin=legacy')
    o = new(cls, n)
    if size:
        o._payload = bytearray(size)  # `bytes=N`: memory the object owns, freed with it
    V[v] = o


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


def emit(line):
    sys.stdout.write(line + '\n')
    sys.stdout.flush()


def run(index, text, action, *args):
    del FINALIZED[:]
    del CALLBACKS[:]
    del ALLOCATED[:]
    garbage_before = len(gc.garbage)
    # Ids, not the weak references themselves: holding one would keep it alive through
    # the op, and a weak variable the op drops would then still run its callback.
    weak_before = [(name, id(W[name])) for name in W if W[name]() is not None]
    first_new = NEXT_ID[0]
    result = action(*args)
    numbering = {}
    for creator in sorted(ALLOCATED):
        numbering[-1 - creator] = NEXT_ID[0]
        NEXT_ID[0] += 1
    if SCAN[0]:
        alive = alive_ids(numbering)
    else:
        alive = ALIVE[0] | set(range(first_new, NEXT_ID[0]))
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
    emit(line + '}')


gc.collect()
del gc.garbage[:]
# gcfuzz: the prelude of `gcfuzz show --python` ends here.

import os

CLASSES = {'none': Obj, 'log': FinLog, 'resurrect': FinResurrect, 'alloc': FinAlloc,
           'legacy': FinLegacy}
TRACE = [0]  # the number of the next op of the trace in progress
# The collectors offered: CPython itself, and two adapters with a planted bug each (the kind of
# mistake an adapter author makes), which `gcfuzz selftest` must catch.
MUTANTS = {
    'cpython~keeps-last-object':
        'the adapter keeps the object of the last alloc in its bookkeeping, alive',
    'cpython~no-callbacks': 'the adapter never reports a weak reference callback',
}
COLLECTOR = ['cpython']
LAST = [None]  # cpython~keeps-last-object's strong reference


def emit(line):
    if COLLECTOR[0] == 'cpython~no-callbacks':
        start = line.index('"callbacks": [') + len('"callbacks": [')
        line = line[:start] + line[line.index(']', start):]
    reply(line)


def policy_name():
    major, minor = sys.version_info[0], sys.version_info[1]
    if major < 3 or (major == 3 and minor <= 3):
        return 'legacy'
    if minor <= 8:
        return 'pep442-whole'
    return 'pep442'


def held_by_slot_and_local():
    # What sys.getrefcount says of an object held once, by a variable or a slot, when the
    # caller holds it in a local too: the count at which releasing that one hold frees it.
    probe = Obj()
    probe._n = 0
    probe._id = 0
    V['probe'] = probe
    del probe
    held = V.get('probe')
    by_variable = sys.getrefcount(held)
    holder = Obj()
    holder._n = 1
    holder._id = 0
    holder.s0 = held
    del V['probe']
    del held
    held = getattr(holder, SLOTS[0], None)
    by_slot = sys.getrefcount(held)
    return max(by_variable, by_slot)


LAST_HOLD = held_by_slot_and_local()


def may_free(action, args):
    # False when the op surely frees nothing: it releases no reference, or releases one to
    # an object that something else holds too. Frees come from refcounts reaching zero
    # (and finalizers, which only run at a death) or from a collection.
    if action is op_weak:
        return False
    if action in (op_alloc, op_load, op_copy, op_deref, op_drop):
        released = V.get(args[0])
    elif action in (op_link, op_unlink):
        o = V.get(args[0])
        if o is None or args[1] >= o._n:
            return False
        released = getattr(o, SLOTS[args[1]], None)
        del o
    else:
        return True  # collect, clear revived, clear garbage
    return released is not None and sys.getrefcount(released) <= LAST_HOLD


def reply(text):
    sys.stdout.write(text + '\n')
    sys.stdout.flush()


def handshake():
    version = '%d.%d.%d' % tuple(sys.version_info[:3])
    capabilities = ('{"policy": "%s", "precision": "exact", "collects_cycles": true, '
                    '"generational": true, "moving": false, "incremental": false, '
                    '"refcounts": false}') % policy_name()
    offered = ['{"name": "cpython", "summary": "CPython %s: its objects, finalizers, weak '
               'references and gc module", "origin": "CPython %s", "capabilities": %s}' % (
                   version, version, capabilities)]
    for name in sorted(MUTANTS):
        offered.append('{"name": "%s", "mutant_of": "cpython", "summary": "%s", '
                       '"capabilities": %s}' % (name, MUTANTS[name], capabilities))
    return '{"protocol": 1, "collectors": [%s]}' % ', '.join(offered)


def neutralize():
    # Every object a previous trace left becomes a plain Obj with empty slots: no finalizer
    # runs, no cycle survives, and all of them die when this function's list of them does.
    for o in gc.get_objects():
        if isinstance(o, Obj):
            try:
                o.__class__ = Obj
            except TypeError:
                pass
            for name in SLOTS:
                setattr(o, name, None)


def reset(collector):
    COLLECTOR[0] = collector
    LAST[0] = None
    W.clear()
    V.clear()
    del revived[:]
    del gc.garbage[:]
    neutralize()
    del revived[:]
    gc.collect()
    del gc.garbage[:]
    del FINALIZED[:]
    del CALLBACKS[:]
    del ALLOCATED[:]
    NEXT_ID[0] = 0
    ALIVE[0] = set()
    TRACE[0] = 0


def number_of(o):
    if o is None:
        return 'null'
    return str(o._id)


def heap():
    objects = {}
    for o in gc.get_objects():
        if isinstance(o, Obj):
            objects[o._id] = o
    listed = []
    for i in sorted(objects):
        o = objects[i]
        slots = [number_of(getattr(o, SLOTS[k], None)) for k in range(o._n)]
        listed.append('{"id": %d, "slots": [%s]}' % (i, ', '.join(slots)))
    variables = ['"%s": %s' % (name, number_of(V[name])) for name in sorted(V)
                 if V[name] is not None]
    weak = ['"%s": %s' % (name, number_of(W[name]())) for name in sorted(W)]
    return ('{"variables": {%s}, "weak": {%s}, "revived": [%s], "garbage": [%s], '
            '"objects": [%s]}') % (
                ', '.join(variables), ', '.join(weak),
                ', '.join([number_of(o) for o in revived]),
                ', '.join([number_of(o) for o in gc.garbage if isinstance(o, Obj)]),
                ', '.join(listed))


def is_name(word):
    return word.replace('_', 'a').isalnum() and not word[0].isdigit()


def is_slot(word):
    return word.isdigit() and int(word) < len(SLOTS)


def parse(words):
    # The action and arguments of `run` for one op, or a string saying why there are none.
    verb, args = words[0], words[1:]
    n = len(args)
    if not all([is_name(a) or is_slot(a) or a.startswith('fin=') or a.startswith('bytes=')
                for a in args]):
        return 'bad argument'
    if verb == 'alloc' and 2 <= n <= 4 and is_name(args[0]) and is_slot(args[1]):
        kind, size, rest = 'none', 0, args[2:]
        if rest and rest[0].startswith('fin='):
            kind = rest.pop(0)[4:]
        if rest and rest[0].startswith('bytes=') and rest[0][6:].isdigit():
            size = int(rest.pop(0)[6:])
        if rest:
            return 'bad alloc operand'
        if kind not in CLASSES:
            return 'unknown finalizer'
        return op_alloc, (args[0], int(args[1]), CLASSES[kind], size)
    if verb == 'link' and n == 3 and is_slot(args[1]):
        return op_link, (args[0], int(args[1]), args[2])
    if verb == 'unlink' and n == 2 and is_slot(args[1]):
        return op_unlink, (args[0], int(args[1]))
    if verb == 'load' and n == 3 and is_slot(args[2]):
        return op_load, (args[0], args[1], int(args[2]))
    if verb == 'copy' and n == 2:
        return op_copy, (args[0], args[1])
    if verb == 'drop' and n == 1:
        return op_drop, (args[0],)
    if verb == 'weak' and (n == 2 or (n == 3 and args[2] == 'cb')):
        return op_weak, (args[0], args[1], n == 3)
    if verb == 'deref' and n == 2:
        return op_deref, (args[0], args[1])
    if verb == 'collect' and (n == 0 or (n == 1 and args[0] == 'young')):
        return op_collect, (n == 1,)
    if verb == 'clear' and n == 1 and args[0] in ('revived', 'garbage'):
        if args[0] == 'revived':
            return op_clear_revived, ()
        return op_clear_garbage, ()
    return 'not an op'


def serve():
    # Everything that exists now (the interpreter's modules, this adapter) moves to the
    # permanent generation (3.7 and later): collections and gc.get_objects() no longer walk
    # it, so each op costs what the trace's own objects cost. The dicts of variables and
    # the lists are frozen too, which changes no result: a reference from a frozen object
    # keeps its target alive as one from any older generation does.
    gc.collect()
    if hasattr(gc, 'freeze'):
        gc.freeze()
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        words = line.split()
        if not words:
            reply('{"error": "an empty request"}')
        elif words[0] == 'gcfuzz-protocol':
            if words[1:] == ['1']:
                reply(handshake())
            else:
                reply('{"error": "this adapter speaks protocol 1"}')
        elif words[:1] == ['reset'] and len(words) == 2 and (
                words[1] == 'cpython' or words[1] in MUTANTS):
            reset(words[1])
            reply('{"ok": true}')
        elif words == ['heap']:
            reply(heap())
        elif words == ['bye']:
            break
        else:
            parsed = parse(words)
            if isinstance(parsed, str):
                reply('{"error": "%s: %s"}' % (parsed, ' '.join(words)))
            elif parsed[0] is op_alloc and parsed[1][2] is None:
                reply('{"unsupported": "fin=legacy: this CPython has no '
                      '_testcapi.with_tp_del"}')
            else:
                SCAN[0] = may_free(parsed[0], parsed[1])
                run(TRACE[0], ' '.join(words), parsed[0], *parsed[1])
                SCAN[0] = True
                TRACE[0] += 1
                if parsed[0] is op_alloc and COLLECTOR[0] == 'cpython~keeps-last-object':
                    LAST[0] = V[words[1]]
    sys.stdout.flush()
    # Not the interpreter's teardown: it would run the finalizers of what the last trace left.
    os._exit(0)


serve()
