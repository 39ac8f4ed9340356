#!/usr/bin/env node
// A self-check of adapter.js without gcfuzz: it talks to the adapter over the protocol, as
// gcfuzz does (one request, wait for its reply), and compares every reply with a small
// model of the java policy for objects without finalizers (SPEC.md section 3.4 reduced to
// what this adapter can express: a collection frees exactly the unreachable objects,
// clears the weak variables into them and runs their callbacks).
//
//   node examples/exec-adapter/selfcheck.js [--traces N] [--ops N] [--seed N]
//                                           [--repeat N] [--stress N]
//
// 1. scripted conversations with exact replies (the examples of README.md);
// 2. --traces random traces (default 2000 of --ops 64 ops) against the model, op by op
//    and heap by heap;
// 3. each mutant must diverge from the model on some random trace;
// 4. determinism: one random trace run --repeat times (default 1000) in one adapter
//    process, and one trace of --stress ops (default 10000) in two fresh adapter
//    processes, must give the same replies byte for byte; the time per op is printed.
// Exit status 0 when everything holds, 1 with the first difference otherwise.

'use strict';

const {spawn} = require('child_process');
const path = require('path');

const ADAPTER = [
  process.execPath,
  ['--expose-gc', '--no-memory-reducer', '--initial-old-space-size=256', path.join(__dirname, 'adapter.js')],
];

// --- A client of the protocol ---

class Adapter {
  constructor() {
    this.child = spawn(ADAPTER[0], ADAPTER[1], {stdio: ['pipe', 'pipe', 'inherit']});
    this.waiting = [];
    this.buffer = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk) => {
      const lines = (this.buffer + chunk).split('\n');
      this.buffer = lines.pop();
      for (const line of lines) this.waiting.shift()(line);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
  }

  // Sends one request; resolves to its reply, parsed, and the raw line.
  request(line) {
    return new Promise((resolve) => {
      this.waiting.push((raw) => resolve({reply: JSON.parse(raw), raw}));
      this.child.stdin.write(line + '\n');
    });
  }

  async ask(line) {
    return (await this.request(line)).reply;
  }

  async bye() {
    this.child.stdin.write('bye\n');
    return this.exited;
  }
}

// --- The model: java policy, objects without finalizers ---

class Model {
  constructor() {
    this.nextId = 0;
    this.variables = new Map();   // name -> id or null
    this.weak = new Map();        // name -> {target: id or null, callback}
    this.objects = new Map();     // id -> slots (ids or null), for objects not freed
  }

  held(name) {
    const id = this.variables.get(name);
    return id === undefined ? null : id;
  }

  // Performs one op; returns its events in the adapter's reply format.
  perform(words) {
    const [op, a, b, c] = words;
    const slotOf = (id, text) => (id !== null && Number(text) < this.objects.get(id).length);
    switch (op) {
      case 'alloc':
        this.objects.set(this.nextId, new Array(Number(b)).fill(null));
        this.variables.set(a, this.nextId++);
        break;
      case 'link': {
        const from = this.held(a), to = this.held(c);
        if (to !== null && slotOf(from, b)) this.objects.get(from)[Number(b)] = to;
        break;
      }
      case 'unlink':
        if (slotOf(this.held(a), b)) this.objects.get(this.held(a))[Number(b)] = null;
        break;
      case 'load':
        if (slotOf(this.held(b), c)) this.variables.set(a, this.objects.get(this.held(b))[Number(c)]);
        break;
      case 'copy':
        if (this.held(b) !== null) this.variables.set(a, this.held(b));
        break;
      case 'drop':
        this.weak.delete(a);
        this.variables.delete(a);
        break;
      case 'weak':
        if (this.held(b) !== null) this.weak.set(a, {target: this.held(b), callback: c === 'cb'});
        break;
      case 'deref':
        if (this.weak.has(b)) this.variables.set(a, this.weak.get(b).target);
        break;
      case 'collect':
        return this.collect();
      case 'clear':
        break;
      default:
        throw new Error(`model: unknown op ${op}`);
    }
    return {};
  }

  collect() {
    const reached = new Set();
    const stack = [...this.variables.values()].filter((id) => id !== null);
    while (stack.length) {
      const id = stack.pop();
      if (reached.has(id)) continue;
      reached.add(id);
      for (const target of this.objects.get(id)) if (target !== null) stack.push(target);
    }
    const freed = [...this.objects.keys()].filter((id) => !reached.has(id));
    const cleared = [], callbacks = [];
    for (const [name, binding] of this.weak) {
      if (binding.target !== null && !reached.has(binding.target)) {
        binding.target = null;
        cleared.push(name);
        if (binding.callback) callbacks.push(name);
      }
    }
    for (const id of freed) this.objects.delete(id);
    const events = {};
    if (freed.length) events.freed = freed.sort((x, y) => x - y);
    if (cleared.length) events.cleared = cleared.sort();
    if (callbacks.length) events.callbacks = callbacks.sort();
    events.collected = freed.length;
    return events;
  }

  heap() {
    const variables = {};
    for (const [name, id] of this.variables) if (id !== null) variables[name] = id;
    const weak = {};
    for (const [name, binding] of this.weak) weak[name] = binding.target;
    const objects = [...this.objects].map(([id, slots]) => ({id, slots}));
    return {variables, weak, revived: [], garbage: [], objects};
  }
}

// Compares a reply with what the model says as gcfuzz does: each list as a multiset, a
// missing list as empty, keys outside the protocol's events (wait_turns) ignored.
function sameEvents(reply, expected) {
  const lists = ['freed', 'finalized', 'garbage', 'cleared', 'callbacks'];
  const canonical = (events) => JSON.stringify([
    ...lists.map((key) => [...(events[key] || [])].sort()),
    events.collected === undefined ? null : events.collected,
  ]);
  return canonical(reply) === canonical(expected);
}

function sameHeap(reply, expected) {
  const canonical = (heap) => JSON.stringify({
    variables: Object.entries(heap.variables).sort(),
    weak: Object.entries(heap.weak).sort(),
    revived: heap.revived, garbage: heap.garbage,
    objects: [...heap.objects].sort((x, y) => x.id - y.id),
  });
  return canonical(reply) === canonical(expected);
}

// Runs one trace (an array of op lines) against a collector, asking for the heap after
// every collection and at the end. Returns {difference, transcript}: difference is null
// when every reply matched the model, else the first difference; transcript is the raw
// reply lines.
async function runTrace(adapter, collector, ops) {
  const transcript = [];
  const say = async (line) => {
    const {reply, raw} = await adapter.request(line);
    transcript.push(raw);
    return reply;
  };
  const model = new Model();
  const reset = await say(`reset ${collector}`);
  if (!reset.ok) return {difference: `reset: ${JSON.stringify(reset)}`, transcript};
  for (let i = 0; i < ops.length; i++) {
    const words = ops[i].split(' ');
    const expected = model.perform(words);
    const reply = await say(ops[i]);
    const where = `op ${i + 1} \`${ops[i]}\``;
    if (!sameEvents(reply, expected)) {
      return {difference: `${where}: adapter ${JSON.stringify(reply)}, model ${JSON.stringify(expected)}`, transcript};
    }
    if (words[0] === 'collect' || i === ops.length - 1) {
      const heap = await say('heap');
      if (!sameHeap(heap, model.heap())) {
        return {difference: `heap after ${where}: adapter ${JSON.stringify(heap)}, model ${JSON.stringify(model.heap())}`, transcript};
      }
    }
  }
  return {difference: null, transcript};
}

// --- Random traces ---

function random(seed) {   // mulberry32
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomTrace(seed, length) {
  const next = random(seed);
  const pick = (list) => list[Math.floor(next() * list.length)];
  const strong = ['a', 'b', 'c', 'd', 'e', 'f'];
  const weak = ['w', 'x', 'y', 'a'];   // 'a' is both: drop forgets the weak one first
  const slot = () => String(Math.floor(next() * 4));
  const ops = [];
  while (ops.length < length) {
    const r = next();
    if (r < 0.22) ops.push(`alloc ${pick(strong)} ${Math.floor(next() * 4)}`);
    else if (r < 0.40) ops.push(`link ${pick(strong)} ${slot()} ${pick(strong)}`);
    else if (r < 0.45) ops.push(`unlink ${pick(strong)} ${slot()}`);
    else if (r < 0.52) ops.push(`load ${pick(strong)} ${pick(strong)} ${slot()}`);
    else if (r < 0.57) ops.push(`copy ${pick(strong)} ${pick(strong)}`);
    else if (r < 0.72) ops.push(`drop ${pick(next() < 0.8 ? strong : weak)}`);
    else if (r < 0.80) ops.push(`weak ${pick(weak)} ${pick(strong)}${next() < 0.6 ? ' cb' : ''}`);
    else if (r < 0.86) ops.push(`deref ${pick(strong)} ${pick(weak)}`);
    else if (r < 0.97) ops.push(next() < 0.8 ? 'collect' : 'collect young');
    else ops.push(next() < 0.5 ? 'clear revived' : 'clear garbage');
  }
  return ops;
}

// --- The checks ---

let failures = 0;
function check(ok, what) {
  if (!ok) {
    failures++;
    console.log(`FAIL ${what}`);
  }
  return ok;
}

// Each conversation: requests, and the reply expected to each (null: not checked).
const SCRIPTS = {
  'the README example': [
    ['reset v8:java', {ok: true}],
    ['alloc a 1', {}], ['alloc b 0', {}], ['link a 0 b', {}], ['drop b', {}],
    ['collect', {collected: 0}],
    ['heap', {variables: {a: 0}, weak: {}, revived: [], garbage: [],
      objects: [{id: 0, slots: [1]}, {id: 1, slots: []}]}],
    ['drop a', {}],
    ['collect', {freed: [0, 1], collected: 2}],
    ['heap', {variables: {}, weak: {}, revived: [], garbage: [], objects: []}],
  ],
  'weak variables: callbacks, deref after clear, rebinding, drop': [
    ['reset v8:java', {ok: true}],
    ['alloc a 0', {}], ['weak w a cb', {}], ['weak v a', {}],
    ['alloc p 0', {}], ['weak r p cb', {}], ['weak r a cb', {}],   // r rebound: p's death is not r's
    ['alloc q 0', {}], ['weak gone q cb', {}], ['drop gone', {}],  // forgotten: no callback
    ['drop a', {}], ['drop p', {}], ['drop q', {}],
    ['deref s w', {}], ['collect', {freed: [1, 2], collected: 2}],   // s holds a again
    ['drop s', {}],
    ['collect', {freed: [0], cleared: ['r', 'v', 'w'], callbacks: ['r', 'w'], collected: 1}],
    ['deref s w', {}],
    ['heap', {variables: {}, weak: {w: null, v: null, r: null}, revived: [], garbage: [], objects: []}],
  ],
  'a deref keeps its object only until the request ends (KeepDuringJob)': [
    ['reset v8:java', {ok: true}],
    ['alloc a 0', {}], ['weak w a cb', {}], ['deref b w', {}], ['drop a', {}], ['drop b', {}],
    ['collect', {freed: [0], cleared: ['w'], callbacks: ['w'], collected: 1}],
  ],
  'a cycle, and a weak and a strong variable of one name': [
    ['reset v8:java', {ok: true}],
    ['alloc x 1', {}], ['alloc y 1', {}], ['link x 0 y', {}], ['link y 0 x', {}],
    ['weak x x cb', {}], ['weak wy y cb', {}],
    ['drop x', {}], ['collect young', {collected: 0}],   // y still holds the cycle
    ['drop y', {}],
    ['collect', {freed: [0, 1], cleared: ['wy'], callbacks: ['wy'], collected: 2}],
  ],
  'reset between traces: nothing of the first shows up in the second': [
    ['reset v8:java', {ok: true}],
    ['alloc a 2', {}], ['link a 0 a', {}], ['weak w a cb', {}],
    ['reset v8:java', {ok: true}],
    ['alloc b 0', {}], ['collect', {collected: 0}],
    ['heap', {variables: {b: 0}, weak: {}, revived: [], garbage: [], objects: [{id: 0, slots: []}]}],
    ['drop b', {}], ['collect', {freed: [0], collected: 1}],
  ],
  'what the mapping cannot express, and bad requests': [
    ['reset v8:java', {ok: true}],
    ['clear revived', {}], ['clear garbage', {}],
    ['alloc a 1 fin=none', {}], ['alloc __proto__ 0', {}], ['weak constructor a', {}],
    // (JSON.parse: in an object literal, __proto__ would set the prototype)
    ['heap', {variables: JSON.parse('{"a": 0, "__proto__": 1}'), weak: {constructor: 0}, revived: [], garbage: [],
      objects: [{id: 0, slots: [null]}, {id: 1, slots: []}]}],
    ['alloc b 1 fin=log', null],
    ['collect', {collected: 0}],
    ['expect collected 0', null],
    ['reset v8:nothing', null],
  ],
};

async function scripted() {
  const adapter = new Adapter();
  const hello = await adapter.ask('gcfuzz-protocol 1');
  check(hello.protocol === 1 && hello.collectors.length === 3, `handshake: ${JSON.stringify(hello)}`);
  for (const [title, script] of Object.entries(SCRIPTS)) {
    for (const [line, expected] of script) {
      const reply = await adapter.ask(line);
      if (expected === null) {
        const kind = line.includes('fin=') ? 'unsupported' : 'error';
        check(typeof reply[kind] === 'string', `${title}: \`${line}\`: expected ${kind}, got ${JSON.stringify(reply)}`);
        continue;
      }
      delete reply.wait_turns;
      if (!check(JSON.stringify(reply) === JSON.stringify(expected),
        `${title}: \`${line}\`: got ${JSON.stringify(reply)}, expected ${JSON.stringify(expected)}`)) break;
    }
  }
  const status = await adapter.bye();
  check(status === 0, `bye: exit status ${status}`);
  // End of input without bye exits too.
  const second = new Adapter();
  await second.ask('reset v8:java');
  second.child.stdin.end();
  check(await second.exited === 0, 'end of input: the adapter exits');
  console.log(`scripted conversations: ${Object.keys(SCRIPTS).length}`);
}

async function randomTraces(count, length, seed) {
  const adapter = new Adapter();
  await adapter.ask('gcfuzz-protocol 1');
  let collects = 0, maxTurns = 0, ops = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const trace = randomTrace(seed + i, length);
    const {difference, transcript} = await runTrace(adapter, 'v8:java', trace);
    ops += trace.length;
    for (const raw of transcript) {
      const turns = JSON.parse(raw).wait_turns;
      if (turns !== undefined) { collects++; maxTurns = Math.max(maxTurns, turns); }
    }
    if (!check(difference === null, `v8:java, random trace seed ${seed + i}: ${difference}`)) break;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await adapter.bye();
  console.log(`random traces: ${count} of ${length} ops against the model (${collects} collections, ` +
    `at most ${maxTurns} turns waited), ${(seconds * 1e6 / ops).toFixed(0)} us per op`);
}

async function mutants(length, seed) {
  const adapter = new Adapter();
  const hello = await adapter.ask('gcfuzz-protocol 1');
  for (const {name} of hello.collectors.filter((offered) => offered.mutant_of)) {
    let caught = null;
    for (let i = 0; i < 200 && caught === null; i++) {
      const {difference} = await runTrace(adapter, name, randomTrace(seed + i, length));
      if (difference) caught = `trace seed ${seed + i}, ${difference}`;
    }
    if (check(caught !== null, `${name}: not caught by 200 random traces`)) {
      console.log(`${name}: caught at ${caught.slice(0, 160)}`);
    }
  }
  await adapter.bye();
}

async function repetition(times, length, seed) {
  const adapter = new Adapter();
  await adapter.ask('gcfuzz-protocol 1');
  const trace = randomTrace(seed, length);
  let first = null, same = 0;
  for (let i = 0; i < times; i++) {
    const {difference, transcript} = await runTrace(adapter, 'v8:java', trace);
    if (!check(difference === null, `repeated trace, run ${i + 1}: ${difference}`)) break;
    const text = transcript.join('\n');
    if (first === null) first = text;
    if (!check(text === first, `repeated trace, run ${i + 1}: replied differently`)) break;
    same++;
  }
  await adapter.bye();
  const collects = trace.filter((op) => op.startsWith('collect')).length;
  console.log(`one trace of ${length} ops (${collects} collections) repeated: ${same} identical transcripts`);
}

async function determinism(length, seed) {
  const trace = randomTrace(seed, length);
  const runs = [];
  for (let run = 0; run < 2; run++) {
    const adapter = new Adapter();
    await adapter.ask('gcfuzz-protocol 1');
    const started = process.hrtime.bigint();
    const {difference, transcript} = await runTrace(adapter, 'v8:java', trace);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await adapter.bye();
    check(difference === null, `stress trace, run ${run + 1}: ${difference}`);
    runs.push(transcript.join('\n'));
    const collects = trace.filter((op) => op.startsWith('collect')).length;
    console.log(`stress trace of ${length} ops (${collects} collections), run ${run + 1}: ` +
      `${seconds.toFixed(2)} s, ${(seconds * 1e6 / length).toFixed(0)} us per op`);
  }
  check(runs[0] === runs[1], 'stress trace: the two runs replied differently');
}

async function main() {
  const option = (name, fallback) => {
    const at = process.argv.indexOf(`--${name}`);
    return at > 0 ? Number(process.argv[at + 1]) : fallback;
  };
  const seed = option('seed', 1);
  await scripted();
  await randomTraces(option('traces', 2000), option('ops', 64), seed);
  await mutants(option('ops', 64), seed);
  await repetition(option('repeat', 1000), option('ops', 64), seed);
  await determinism(option('stress', 10000), seed);
  console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
  process.exitCode = failures ? 1 : 0;
}

main();
