// One trace of one collector: the variables, weak variables and `revived` of gcfuzz's world,
// and what the runtime was seen to do. A new Trace per `reset`: whatever the previous trace
// left behind (an object finalized or freed later, a weak reference enqueued late) can only
// write into its own Trace, which nothing reads any more, so it never shows up in this
// trace's events.
package gcfuzz.jvm;

import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

final class Trace {
    /** A bound weak variable. `cb`: registered with the callback queue. */
    static final class WeakVar extends WeakReference<Obj> {
        final String name;
        final Tag target; // the referent's number, for the clear-after-finalize mutant
        boolean reported; // its clearing was reported

        WeakVar(String name, Obj referent, ReferenceQueue<Obj> queue) {
            super(referent, queue);
            this.name = name;
            this.target = referent.tag;
        }
    }

    /** How the adapter learns that the runtime freed an object: one per object, its number only. */
    static final class Watch extends PhantomReference<Obj> {
        final Tag tag;

        Watch(Obj o, ReferenceQueue<Obj> queue) {
            super(o, queue);
            this.tag = o.tag;
        }
    }

    /**
     * A strong variable's binding. The map holds these holders, never an object directly, and
     * a holder is emptied when its variable is dropped: a map entry the map let go of may be
     * old garbage by then, and an old object that still pointed at a young one would keep it
     * through a young collection (old-to-young references are roots, SPEC 4). Measured: with
     * the objects in the map's own entries, `alloc a 0; collect; alloc a 0; drop a; collect
     * young` freed nothing.
     */
    static final class Binding {
        Obj value;
    }

    final String bug; // null for the real collector, or the planted bug of a mutant
    private final Map<String, Binding> variables = new HashMap<>();
    private final Map<String, WeakVar> weak = new LinkedHashMap<>();
    private final List<Obj> revived = new ArrayList<>(); // guarded by this
    private final ReferenceQueue<Obj> freedQueue = new ReferenceQueue<>();
    private final ReferenceQueue<Obj> callbackQueue = new ReferenceQueue<>();
    private final Set<Watch> watches = new HashSet<>(); // guarded by this: not yet seen freed
    private int nextId; // guarded by this

    // Seen since the last reply; written by the Finalizer thread, guarded by this.
    private final List<Integer> finalized = new ArrayList<>();
    private final TreeMap<Integer, Tag> allocatedBy = new TreeMap<>(); // creator id -> new object
    private final Set<Integer> resurrected = new HashSet<>(); // every id a finalizer revived
    private final Set<Integer> freedIds = new HashSet<>();
    boolean hadFinalizers; // a finalizable object was allocated (reset waits for it)
    int lastFreed; // how many frees the last reply reported: a collect's `collected`

    Trace(String bug) {
        this.bug = bug;
    }

    // ---- Called by finalize(), on a finalizer thread ----

    synchronized void finalizing(Obj o) {
        finalized.add(o.tag.id);
    }

    synchronized void revive(Obj o) {
        resurrected.add(o.tag.id);
        revived.add(o);
    }

    synchronized void allocateFor(Obj creator) {
        // Numbered at the end of the op, in creator order (SPEC 1.2); negative until then.
        Obj fresh = make(new Tag(-1 - creator.tag.id), 0, "none", 0);
        allocatedBy.put(creator.tag.id, fresh.tag);
        if (creator.slots.length > 0) creator.slots[0] = fresh;
    }

    // ---- The ops (SPEC 1.3, with its no-op rules) ----

    private synchronized Obj make(Tag tag, int slots, String fin, int bytes) {
        Obj o;
        switch (fin) {
            case "none":
                o = new Obj(this, tag, slots, bytes);
                break;
            case "log":
            case "legacy":
                o = new LogObj(this, tag, slots, bytes);
                break;
            case "resurrect":
                o = new ResurrectObj(this, tag, slots, bytes);
                break;
            case "alloc":
                o = new AllocObj(this, tag, slots, bytes);
                break;
            default:
                throw new BadRequest("unknown finalizer kind: " + fin);
        }
        if (!fin.equals("none")) hadFinalizers = true;
        watches.add(new Watch(o, freedQueue));
        return o;
    }

    void alloc(String v, int slots, String fin, int bytes) {
        Obj o;
        synchronized (this) {
            o = make(new Tag(nextId++), slots, fin, bytes);
        }
        set(v, o);
    }

    private Obj get(String v) {
        Binding b = variables.get(v);
        return b == null ? null : b.value;
    }

    private void set(String v, Obj o) {
        variables.computeIfAbsent(v, k -> new Binding()).value = o;
    }

    void link(String v, int slot, String w) {
        Obj o = get(v);
        Obj target = get(w);
        if (o == null || target == null || slot >= o.slots.length) return;
        synchronized (this) { // a finalizer may write slot 0 of a finalized object
            o.slots[slot] = target;
        }
    }

    void unlink(String v, int slot) {
        Obj o = get(v);
        if (o == null || slot >= o.slots.length) return;
        synchronized (this) {
            o.slots[slot] = null;
        }
    }

    void load(String v, String w, int slot) {
        Obj o = get(w);
        if (o == null || slot >= o.slots.length) return;
        Object value;
        synchronized (this) {
            value = o.slots[slot];
        }
        set(v, (Obj) value);
    }

    void copy(String v, String w) {
        Obj o = get(w);
        if (o != null) set(v, o);
    }

    void drop(String v) {
        forget(weak.remove(v));
        Binding b = variables.remove(v);
        if (b != null) b.value = null;
    }

    /** A weak variable rebound or dropped: its clearing and callback are never reported. */
    private static void forget(WeakVar w) {
        if (w != null) w.clear(); // a cleared Reference is not discovered, so never enqueued
    }

    void weak(String w, String v, boolean callback) {
        Obj o = get(v);
        if (o == null) return;
        forget(weak.put(w, new WeakVar(w, o, callback ? callbackQueue : null)));
    }

    void deref(String v, String w) {
        WeakVar r = weak.get(w);
        if (r != null) set(v, r.get());
    }

    synchronized void clearRevived() {
        revived.clear(); // ArrayList.clear() nulls its array's elements
    }

    // ---- What the runtime did since the last reply ----

    /** The events of the op just performed, as the reply's JSON (without the closing brace). */
    String takeEvents() {
        List<Integer> fin, freed = new ArrayList<>();
        synchronized (this) {
            // Finalizer allocations first: a Watch names its object by the renumbered id.
            for (Tag t : allocatedBy.values()) t.id = nextId++;
            allocatedBy.clear();
            fin = new ArrayList<>(finalized);
            finalized.clear();
            for (Reference<? extends Obj> r; (r = freedQueue.poll()) != null; ) {
                Watch w = (Watch) r;
                watches.remove(w);
                int id = w.tag.id;
                freedIds.add(id);
                // The planted bug: an object its finalizer resurrected is never reported freed.
                if ("forgets-resurrected-frees".equals(bug) && resurrected.contains(id)) continue;
                freed.add(id);
            }
        }
        List<String> cleared = new ArrayList<>();
        for (WeakVar w : weak.values()) {
            if (w.reported || w.get() != null) continue;
            // The planted bug: a weak variable is reported cleared only once its referent is
            // freed, which for finalizable trash is a collection late.
            if ("clear-after-finalize".equals(bug) && !freedIdsContains(w.target.id)) continue;
            w.reported = true;
            cleared.add(w.name);
        }
        List<String> callbacks = new ArrayList<>();
        for (Reference<? extends Obj> r; (r = callbackQueue.poll()) != null; ) {
            WeakVar w = (WeakVar) r;
            if (weak.get(w.name) == w) callbacks.add(w.name); // still bound: not forgotten
        }
        lastFreed = freed.size();
        Collections.sort(freed);
        Collections.sort(fin);
        Collections.sort(cleared);
        Collections.sort(callbacks);
        StringBuilder sb = new StringBuilder("{\"freed\": ");
        Json.ints(sb, freed);
        sb.append(", \"finalized\": ");
        Json.ints(sb, fin);
        sb.append(", \"garbage\": [], \"cleared\": ");
        Json.strings(sb, cleared);
        sb.append(", \"callbacks\": ");
        Json.strings(sb, callbacks);
        return sb.toString();
    }

    private synchronized boolean freedIdsContains(int id) {
        return freedIds.contains(id);
    }

    /**
     * The heap as the runtime holds it: every object whose PhantomReference has not been
     * enqueued, read through that reference's referent field (see HotSpot.referent), with its
     * slots as they are now.
     */
    String heap() {
        StringBuilder sb = new StringBuilder("{\"variables\": {");
        boolean first = true;
        for (Map.Entry<String, Binding> e : new TreeMap<>(variables).entrySet()) {
            if (e.getValue().value == null) continue;
            sb.append(first ? "" : ", ");
            first = false;
            Json.string(sb, e.getKey());
            sb.append(": ").append(e.getValue().value.tag.id);
        }
        sb.append("}, \"weak\": {");
        first = true;
        for (WeakVar w : weak.values()) {
            sb.append(first ? "" : ", ");
            first = false;
            Json.string(sb, w.name);
            Obj o = w.get();
            sb.append(": ").append(o == null ? "null" : Integer.toString(o.tag.id));
        }
        sb.append("}, \"revived\": [");
        synchronized (this) {
            first = true;
            for (Obj o : revived) {
                sb.append(first ? "" : ", ").append(o.tag.id);
                first = false;
            }
            sb.append("], \"garbage\": [], \"objects\": [");
            TreeMap<Integer, String> objects = new TreeMap<>();
            for (Watch w : watches) {
                Obj o = (Obj) HotSpot.referent(w);
                if (o == null) continue; // freed, its Watch not yet taken from the queue
                StringBuilder os = new StringBuilder("{\"id\": ").append(o.tag.id).append(", \"slots\": [");
                for (int i = 0; i < o.slots.length; i++) {
                    Object s = o.slots[i];
                    os.append(i == 0 ? "" : ", ").append(s == null ? "null" : Integer.toString(((Obj) s).tag.id));
                }
                objects.put(o.tag.id, os.append("]}").toString());
            }
            first = true;
            for (String o : objects.values()) {
                sb.append(first ? "" : ", ").append(o);
                first = false;
            }
        }
        return sb.append("]}").toString();
    }
}
