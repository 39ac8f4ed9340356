#!/usr/bin/env -S node --expose-gc --no-memory-reducer --initial-old-space-size=256
// A gcfuzz collector in another process: V8's garbage collector, driven from Node.js.
//
//   node --expose-gc --no-memory-reducer --initial-old-space-size=256 adapter.js
//
// It speaks gcfuzz's line protocol, version 1 (docs/protocol.md), on standard input and
// output: one request a line, one JSON reply a line. Trace objects are plain JavaScript
// objects; V8 frees them, and the adapter learns of it through a FinalizationRegistry.
// README.md next to this file gives the mapping, how `collect` waits, and what the mapping
// cannot express.
//
// The flags keep V8 from collecting anywhere but in gc(), since under the java policy
// nothing may die between two `collect`s:
// - --expose-gc gives the global gc(), a full, synchronous collection (required);
// - --no-memory-reducer: without it, V8 collects on its own about 8 seconds after a
//   collection when the process idles (measured; required);
// - --initial-old-space-size=256 (MB): without it, V8 starts a full collection on its own
//   once the trace has allocated about 20,000 objects since the last one (measured with
//   100,000 ops; recommended, and a warning on standard error when missing).
// The handshake fails without the required ones. A collection V8 starts on its own anyway
// is reported where it was seen, as frees on a mutator op, which gcfuzz reports as a
// divergence: it is what V8 did.

'use strict';

const PROTOCOL = 1;
const MAX_SLOTS = 16;
// A collection whose FinalizationRegistry callbacks have not all arrived after this many
// turns of the event loop is reported as an error (measured: they arrive within 2 turns).
const MAX_WAIT_TURNS = 100000;

const ORIGIN = `Node.js ${process.version} (V8 ${process.versions.v8})`;

const CAPABILITIES = {
  policy: 'java',           // tracing; nothing dies between collections
  precision: 'exact',       // V8 finds every unreachable object in a full collection
  collects_cycles: true,
  generational: false,      // see README.md: V8's young collections free none of them
  moving: true,             // V8 compacts; the checker does not care
  incremental: false,       // gc() is one atomic full collection
  refcounts: false,
};

// The collectors this process offers: V8's, and two with a planted bug each, so that
// `gcfuzz selftest` can show the checks catch what an adapter like this one gets wrong.
// A mutant is chosen by `reset NAME`; `bug` names the planted bug.
const COLLECTORS = [
  {
    name: 'v8:java',
    summary: "V8's collector, through WeakRef and FinalizationRegistry",
    bug: null,
  },
  {
    name: 'v8:java~no-callbacks',
    mutant_of: 'v8:java',
    summary: 'registers the WeakRef instead of its referent for weak callbacks, so none run',
    bug: 'no-callbacks',
  },
  {
    name: 'v8:java~frees-on-drop',
    mutant_of: 'v8:java',
    summary: 'reports an object freed when the last variable holding it is dropped, ' +
      'forgetting slots and that nothing dies before a collection',
    bug: 'frees-on-drop',
  },
];

// Held value of the sentinel objects that mark the end of a collection's callbacks.
const SENTINEL = Symbol('end of collection');

// A trace object: its id (the N of @N) and a fixed number of slots, each null or another
// TraceObject.
class TraceObject {
  constructor(id, slotCount, payloadBytes) {
    this.id = id;
    this.slots = new Array(slotCount).fill(null);
    // `bytes=N`: memory the object owns, on V8's heap (off it past a few KiB), freed with it.
    if (payloadBytes > 0) this.payload = new Uint8Array(payloadBytes);
  }
}

// A bound weak variable: a WeakRef to its referent, and whether its clearing was reported.
// It is also the unregister token of its callback's registration.
class WeakBinding {
  constructor(object) {
    this.ref = new WeakRef(object);
    this.cleared = false;
  }
}

// Everything of one trace. A new Trace per `reset`, with its own registries: a callback of
// an earlier trace's registry can only ever write into that earlier Trace, which nothing
// reads any more, so the previous trace's objects never show up in this one's events.
class Trace {
  constructor(bug) {
    this.bug = bug;
    this.nextId = 0;
    this.variables = new Map();   // name -> TraceObject, or null (after load/deref of nothing)
    this.weak = new Map();        // name -> WeakBinding
    this.objects = new Map();     // id -> WeakRef to the object, for objects not seen freed
    // Observed by the registries' callbacks and not reported yet.
    this.freed = [];
    this.callbacks = [];
    // Set by the sentinels' callbacks (see collect()).
    this.freesDrained = false;
    this.callbacksDrained = false;
    // One registration per object; held value: its id.
    this.frees = new FinalizationRegistry((held) => {
      if (held === SENTINEL) {
        this.freesDrained = true;
      } else {
        this.objectFreed(held);
      }
    });
    // One registration per weak variable with a callback; held value: its name;
    // unregister token: its WeakBinding, so `drop` or rebinding can take it back.
    this.weakCallbacks = new FinalizationRegistry((held) => {
      if (held === SENTINEL) {
        this.callbacksDrained = true;
      } else {
        this.callbacks.push(held);
      }
    });
    // The frees-on-drop mutant: ids it reported freed at a drop (it ignores their real
    // free later, as an adapter that "already freed" them would).
    this.reportedAtDrop = new Set();
  }

  objectFreed(id) {
    if (this.reportedAtDrop.has(id)) return;
    this.objects.delete(id);
    this.freed.push(id);
  }

  // --- The mutator's ops (SPEC section 1.3, with its no-op rules) ---

  // The object variable `name` holds, or null when it is unbound or holds null.
  get(name) {
    return this.variables.get(name) || null;
  }

  alloc(name, slotCount, payloadBytes) {
    const object = new TraceObject(this.nextId++, slotCount, payloadBytes);
    this.objects.set(object.id, new WeakRef(object));
    this.frees.register(object, object.id);
    this.variables.set(name, object);
  }

  link(name, slot, target) {
    const object = this.get(name);
    const value = this.get(target);
    if (object && value && slot < object.slots.length) object.slots[slot] = value;
  }

  unlink(name, slot) {
    const object = this.get(name);
    if (object && slot < object.slots.length) object.slots[slot] = null;
  }

  load(name, source, slot) {
    const object = this.get(source);
    if (object && slot < object.slots.length) this.variables.set(name, object.slots[slot]);
  }

  copy(name, source) {
    const object = this.get(source);
    if (object) this.variables.set(name, object);
  }

  drop(name) {
    // A weak variable of that name is forgotten first: its callback must never be reported.
    const binding = this.weak.get(name);
    if (binding) {
      this.weakCallbacks.unregister(binding);
      this.weak.delete(name);
    }
    const object = this.get(name);
    this.variables.delete(name);
    if (this.bug === 'frees-on-drop' && object && !this.heldByAVariable(object)) {
      // The planted bug: reference-counting thinking. Only variables are looked at, not
      // slots, and under the java policy nothing dies before a collection anyway.
      this.reportedAtDrop.add(object.id);
      this.objects.delete(object.id);
      this.freed.push(object.id);
    }
  }

  heldByAVariable(object) {
    for (const value of this.variables.values()) if (value === object) return true;
    return false;
  }

  weakRef(name, source, withCallback) {
    const object = this.get(source);
    if (!object) return;
    const old = this.weak.get(name);
    if (old) this.weakCallbacks.unregister(old);   // rebinding forgets the old binding
    const binding = new WeakBinding(object);
    if (withCallback) {
      // The planted bug of the no-callbacks mutant: it registers the WeakRef, which the
      // binding holds, instead of its referent, so the callback never comes.
      const target = this.bug === 'no-callbacks' ? binding.ref : object;
      this.weakCallbacks.register(target, name, binding);
    }
    this.weak.set(name, binding);
  }

  deref(name, weakName) {
    const binding = this.weak.get(weakName);
    if (binding) this.variables.set(name, binding.ref.deref() || null);
  }

  // A full collection: gc(), then wait until the FinalizationRegistry callbacks of that
  // collection have all run. How do we know? Just before gc(), each registry gets a fresh
  // sentinel object, unreachable, so gc() frees it along with the trace's trash. A
  // registry's cleanup job calls the callback for every cell whose target is gone
  // (ECMA-262, CleanupFinalizationRegistry), so once the sentinel's callback has run,
  // so have the callbacks of everything that collection freed in that registry.
  async collect() {
    this.freesDrained = false;
    this.callbacksDrained = false;
    this.registerSentinels();
    gc();
    let turns = 0;
    while (!(this.freesDrained && this.callbacksDrained)) {
      if (++turns > MAX_WAIT_TURNS) {
        return {error: `collect: the FinalizationRegistry callbacks did not arrive within ${MAX_WAIT_TURNS} turns`};
      }
      await nextTurn();
    }
    const events = this.takeEvents(true);
    events.collected = events.freed ? events.freed.length : 0;
    events.wait_turns = turns;   // not part of the protocol: how long the wait took
    return events;
  }

  // In a function of its own, so that no register of collect()'s frame still holds a
  // sentinel when gc() runs.
  registerSentinels() {
    this.frees.register({}, SENTINEL);
    this.weakCallbacks.register({}, SENTINEL);
  }

  // The events observed since the last reply. Weak variables are checked for clearing
  // after a collection, and after any free observed between collections (V8 collecting
  // on its own, which is honest to report where it was seen, and a divergence).
  takeEvents(collected) {
    const events = {};
    const cleared = [];
    if (collected || this.freed.length > 0) {
      for (const [name, binding] of this.weak) {
        if (!binding.cleared && binding.ref.deref() === undefined) {
          binding.cleared = true;
          cleared.push(name);
        }
      }
    }
    if (this.freed.length) events.freed = this.freed.sort((a, b) => a - b);
    if (cleared.length) events.cleared = cleared.sort();
    if (this.callbacks.length) events.callbacks = this.callbacks.sort();
    this.freed = [];
    this.callbacks = [];
    return events;
  }

  // The heap as V8 holds it (docs/protocol.md, "The heap"). deref() keeps what it finds
  // alive until this turn ends; the next `collect` runs in a later turn.
  heap() {
    // Without a prototype, so that a variable named __proto__ is an ordinary key.
    const variables = Object.create(null);
    for (const [name, object] of this.variables) if (object) variables[name] = object.id;
    const weak = Object.create(null);
    for (const [name, binding] of this.weak) {
      const referent = binding.ref.deref();
      weak[name] = referent ? referent.id : null;
    }
    const objects = [];
    for (const [id, ref] of this.objects) {   // in id order: the Map keeps insertion order
      const object = ref.deref();
      // Emptied but not yet reported freed: V8 freed it on its own, out of a `collect`;
      // it is gone, so it is not listed (the free is reported with the next op).
      if (!object) continue;
      objects.push({id, slots: object.slots.map((slot) => (slot ? slot.id : null))});
    }
    return {variables, weak, revived: [], garbage: [], objects};
  }
}

function nextTurn() {
  return new Promise((resolve) => setImmediate(resolve));
}

// --- Requests ---

class RequestError extends Error {}

let trace = null;

function parseSlotIndex(text) {
  if (!/^\d+$/.test(text)) throw new RequestError(`not a slot index: ${text}`);
  return Number(text);
}

function argumentCount(words, ...counts) {
  if (!counts.includes(words.length - 1)) throw new RequestError('wrong number of operands');
}

// One mutator op, in its canonical .gct text. Returns the reply object, or a promise of it.
function performOp(words) {
  if (!trace) throw new RequestError('no trace: send reset NAME first');
  const [op, a, b, c] = words;
  switch (op) {
    case 'alloc': {
      argumentCount(words, 2, 3, 4);
      if (!/^\d+$/.test(b) || Number(b) > MAX_SLOTS) throw new RequestError(`bad slot count: ${b}`);
      const rest = words.slice(3);
      if (rest.length > 0 && rest[0].startsWith('fin=')) {
        const fin = rest.shift();
        if (fin !== 'fin=none') {
          return {unsupported: `${fin}: a FinalizationRegistry callback never sees its object, ` +
            'so JavaScript has no finalizer that can observe, resurrect or allocate from it'};
        }
      }
      let payloadBytes = 0;
      if (rest.length > 0 && /^bytes=\d+$/.test(rest[0])) payloadBytes = Number(rest.shift().slice(6));
      if (rest.length > 0) throw new RequestError(`expected fin=KIND or bytes=N, found ${rest[0]}`);
      trace.alloc(a, Number(b), payloadBytes);
      break;
    }
    case 'link': argumentCount(words, 3); trace.link(a, parseSlotIndex(b), c); break;
    case 'unlink': argumentCount(words, 2); trace.unlink(a, parseSlotIndex(b)); break;
    case 'load': argumentCount(words, 3); trace.load(a, b, parseSlotIndex(c)); break;
    case 'copy': argumentCount(words, 2); trace.copy(a, b); break;
    case 'drop': argumentCount(words, 1); trace.drop(a); break;
    case 'weak': {
      argumentCount(words, 2, 3);
      if (c !== undefined && c !== 'cb') throw new RequestError(`expected cb, found ${c}`);
      trace.weakRef(a, b, c === 'cb');
      break;
    }
    case 'deref': argumentCount(words, 2); trace.deref(a, b); break;
    case 'collect':
      // Not generational: `collect young` is a full collection too (README.md says why).
      if (words.length === 2 && a !== 'young') throw new RequestError(`expected young, found ${a}`);
      argumentCount(words, 0, 1);
      return trace.collect();
    case 'clear':
      // No finalizer ever runs here, so `revived` and `garbage` stay empty: nothing to do.
      argumentCount(words, 1);
      if (a !== 'revived' && a !== 'garbage') throw new RequestError(`cannot clear ${a}`);
      break;
    default:
      throw new RequestError(`unknown request: ${words.join(' ')}`);
  }
  // Mutator ops have no events under the java policy; anything observed is reported as is.
  return trace.takeEvents(false);
}

function handshake(version) {
  if (!/^\d+$/.test(version) || Number(version) < PROTOCOL) {
    return {error: `this adapter speaks gcfuzz-protocol ${PROTOCOL}, not ${version}`};
  }
  const missing = [];
  if (typeof gc !== 'function') missing.push('--expose-gc');
  if (!process.execArgv.some((flag) => /^--no[-_]memory[-_]reducer$/.test(flag))) {
    missing.push('--no-memory-reducer');
  }
  if (missing.length) return {error: `start node with ${missing.join(' ')} (see README.md)`};
  if (!process.execArgv.some((flag) => /^--initial[-_]old[-_]space[-_]size/.test(flag))) {
    process.stderr.write('adapter.js: without --initial-old-space-size=256, V8 may collect on ' +
      'its own in a long trace, which shows as frees outside a collect\n');
  }
  return {
    protocol: PROTOCOL,
    collectors: COLLECTORS.map(({name, mutant_of: mutantOf, summary}) => {
      const offered = {name, summary, origin: ORIGIN, capabilities: CAPABILITIES};
      if (mutantOf) offered.mutant_of = mutantOf;
      return offered;
    }),
  };
}

function reset(name) {
  const collector = COLLECTORS.find((offered) => offered.name === name);
  if (!collector) throw new RequestError(`no collector named ${name}`);
  // Let the previous trace's objects (and its registries) die now rather than later.
  trace = null;
  gc();
  trace = new Trace(collector.bug);
  return {ok: true};
}

// One request line -> its reply object (or a promise of it), or null for `bye`.
function handle(line) {
  const words = line.trim().split(/\s+/);
  try {
    if (words[0] === 'gcfuzz-protocol' && words.length === 2) return handshake(words[1]);
    if (words[0] === 'reset' && words.length === 2) return reset(words[1]);
    if (words[0] === 'heap' && words.length === 1) {
      if (!trace) throw new RequestError('no trace: send reset NAME first');
      return trace.heap();
    }
    return performOp(words);
  } catch (error) {
    if (error instanceof RequestError) return {error: error.message};
    return {error: `adapter failure: ${error.stack || error}`};
  }
}

// --- The loop: one request per turn of the event loop ---

const pending = [];     // request lines received, not yet handled
let partialLine = '';
let inputEnded = false;
let serving = false;
let finished = false;

function finish() {
  // Nothing more is read; Node exits once the replies already written have drained.
  finished = true;
  pending.length = 0;
  process.stdin.destroy();
}

async function serve() {
  serving = true;
  while (pending.length > 0 && !finished) {
    // A fresh turn: whatever the last request dereferenced is no longer kept alive.
    await nextTurn();
    const line = pending.shift();
    if (line.trim() === 'bye') {
      finish();
      break;
    }
    const reply = await handle(line);
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
  serving = false;
  if (inputEnded && !finished) finish();
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  const lines = (partialLine + chunk).split('\n');
  partialLine = lines.pop();
  for (const line of lines) if (line.trim() !== '') pending.push(line.replace(/\r$/, ''));
  if (!serving) serve();
});
process.stdin.on('end', () => {
  if (partialLine.trim() !== '') pending.push(partialLine);
  partialLine = '';
  inputEnded = true;
  if (!serving) serve();
});
// gcfuzz went away: there is no one to answer.
process.stdout.on('error', () => process.exit(0));
