// Lib.java: a tiny gcfuzz world on HotSpot, for the probes of this directory.
//
// Mapping of gcfuzz onto Java (see FINDINGS.md):
//   object         = an Obj: an int id and an `Object[] slots` array (null = empty slot).
//                    Finalizer kinds are subclasses overriding finalize():
//                      LogObj      records its id;
//                      ResObj      records its id, then appends `this` to World.revived;
//                      AllocObj    records its id, allocates a new 0-slot Obj and stores
//                                  it in slot 0 if there is one.
//   variables      = the static map World.V (a root);
//   weak variables = World.W: name -> WRef (a WeakReference). `weak W V cb` registers the
//                    WRef with World.CBQ; a callback "runs" when the WRef is polled from
//                    that queue, which the world drains after every op.
//   revived        = the static list World.revived (a root).
//   freed          = one PhantomReference (Ph, carrying the id) per object, registered on
//                    World.FREEDQ, drained after every op.
//   collect        = World.collect(): System.gc() (NGC times), then waiting as the wait
//                    mode says (see FINDINGS.md, Q1; default "full").
//
// A scenario is a gcfuzz trace (same op syntax as .gct files), run by World.run().
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.*;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

class Obj {
    final int id;
    final Object[] slots;
    Obj(int id, int n) { this.id = id; this.slots = new Object[n]; }
    String kind() { return "none"; }
}

class LogObj extends Obj {
    LogObj(int id, int n) { super(id, n); }
    String kind() { return "log"; }
    @SuppressWarnings("deprecation")
    @Override protected void finalize() { World.finalizing(this); }
}

class ResObj extends Obj {
    ResObj(int id, int n) { super(id, n); }
    String kind() { return "resurrect"; }
    @SuppressWarnings("deprecation")
    @Override protected void finalize() { World.finalizing(this); World.revived.add(this); }
}

class AllocObj extends Obj {
    AllocObj(int id, int n) { super(id, n); }
    String kind() { return "alloc"; }
    @SuppressWarnings("deprecation")
    @Override protected void finalize() {
        World.finalizing(this);
        Obj o = World.make(0, "none", true);
        if (slots.length > 0) slots[0] = o;
    }
}

final class World {
    // ---- the world -------------------------------------------------------------------
    static final Map<String, Obj> V = new HashMap<>();
    static final List<Obj> revived = Collections.synchronizedList(new ArrayList<>());
    static final class WRef extends WeakReference<Obj> {
        final String name; final boolean cb; boolean reported;
        WRef(String name, Obj o, boolean cb) { super(o, cb ? CBQ : null); this.name = name; this.cb = cb; }
    }
    static final class Ph extends PhantomReference<Obj> {
        final int id;
        Ph(Obj o) { super(o, FREEDQ); id = o.id; }
    }
    static final ReferenceQueue<Obj> CBQ = new ReferenceQueue<>();
    static final ReferenceQueue<Obj> FREEDQ = new ReferenceQueue<>();
    static final Map<String, WRef> W = new LinkedHashMap<>();
    static final Set<Ph> PHANTOMS = Collections.synchronizedSet(new HashSet<>());
    static final AtomicInteger NEXT = new AtomicInteger();
    static final Set<Integer> FREED = Collections.synchronizedSet(new TreeSet<>());
    static final Map<Integer, Integer> FINCOUNT = Collections.synchronizedMap(new HashMap<>());
    // per-op logs
    static final List<Integer> FINLOG = Collections.synchronizedList(new ArrayList<>());
    static final List<String> FINTHREADS = Collections.synchronizedList(new ArrayList<>());
    static final List<Integer> CREATED = Collections.synchronizedList(new ArrayList<>());
    static final List<Consumer<Obj>> FIN_HOOKS = new ArrayList<>();

    static String waitMode = System.getProperty("wait", "full");
    static int ngc = Integer.getInteger("ngc", 1);
    static boolean showGc = Boolean.getBoolean("showgc");
    static boolean showThreads = Boolean.getBoolean("showthreads");
    static boolean quiet = false;

    static Obj make(int n, String kind, boolean byFinalizer) {
        int id = NEXT.getAndIncrement();
        Obj o;
        switch (kind) {
            case "none": o = new Obj(id, n); break;
            case "log": case "legacy": o = new LogObj(id, n); break;
            case "resurrect": o = new ResObj(id, n); break;
            case "alloc": o = new AllocObj(id, n); break;
            default: throw new IllegalArgumentException("fin=" + kind);
        }
        PHANTOMS.add(new Ph(o));
        if (byFinalizer) CREATED.add(id);
        return o;
    }

    static void finalizing(Obj o) {
        FINLOG.add(o.id);
        FINTHREADS.add(Thread.currentThread().getName());
        FINCOUNT.merge(o.id, 1, Integer::sum);
        for (Consumer<Obj> h : FIN_HOOKS) h.accept(o);
    }

    // ---- reference-processing internals (need --add-opens java.base/java.lang.ref) ----
    static final Method WFRP;
    static final Object FIN_QUEUE;
    static final Field QLEN;
    static final Thread FIN_THREAD;
    static {
        try {
            WFRP = Reference.class.getDeclaredMethod("waitForReferenceProcessing");
            WFRP.setAccessible(true);
            Class<?> fin = Class.forName("java.lang.ref.Finalizer");
            Field q = fin.getDeclaredField("queue");
            q.setAccessible(true);
            FIN_QUEUE = q.get(null);
            QLEN = ReferenceQueue.class.getDeclaredField("queueLength");
            QLEN.setAccessible(true);
        } catch (ReflectiveOperationException e) { throw new RuntimeException(e); }
        Thread ft = null;
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().equals("Finalizer")) ft = t;
        FIN_THREAD = ft;
    }

    /** Calls Reference.waitForReferenceProcessing() until it returns false; returns how
     *  many times it returned true (waited). */
    static int drainReferenceProcessing() {
        int n = 0;
        try { while ((Boolean) WFRP.invoke(null)) n++; }
        catch (ReflectiveOperationException e) { throw new RuntimeException(e); }
        return n;
    }
    static long finQueueLength() {
        try { return QLEN.getLong(FIN_QUEUE); } catch (IllegalAccessException e) { throw new RuntimeException(e); }
    }
    /** True when the Finalizer queue is empty and the Finalizer thread waits on it. */
    static boolean finalizerIdle() {
        return FIN_THREAD.getState() == Thread.State.WAITING && finQueueLength() == 0;
    }
    /** Spins (yielding) until finalizerIdle(); returns the number of spins. */
    static long waitFinalizerIdle() {
        long spins = 0;
        while (!finalizerIdle()) { Thread.yield(); spins++; }
        return spins;
    }

    static long[] gcCounts() {
        List<GarbageCollectorMXBean> bs = ManagementFactory.getGarbageCollectorMXBeans();
        long[] r = new long[bs.size()];
        for (int i = 0; i < r.length; i++) r[i] = bs.get(i).getCollectionCount();
        return r;
    }
    static String gcDelta(long[] a, long[] b) {
        List<GarbageCollectorMXBean> bs = ManagementFactory.getGarbageCollectorMXBeans();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.length; i++) if (b[i] != a[i]) sb.append(sb.length() == 0 ? "" : " ").append(bs.get(i).getName().replace(' ', '_')).append("+").append(b[i] - a[i]);
        return "[" + sb + "]";
    }

    /** One gcfuzz `collect`, with the wait mode `mode`. */
    static void collect(String mode) {
        for (int i = 0; i < ngc; i++) {
            System.gc();
            switch (mode) {
                case "gc": break;
                case "gc+rf": System.runFinalization(); break;
                case "gc+wfrp": drainReferenceProcessing(); break;
                case "gc+wfrp+rf": drainReferenceProcessing(); System.runFinalization(); break;
                case "full":
                    drainReferenceProcessing();
                    System.runFinalization();
                    waitFinalizerIdle();
                    drainReferenceProcessing();
                    break;
                default: throw new IllegalArgumentException("wait=" + mode);
            }
        }
    }
    static void collect() { collect(waitMode); }

    // ---- events ------------------------------------------------------------------------
    static final class Events {
        List<Integer> finalized = new ArrayList<>(), freed = new ArrayList<>(), created = new ArrayList<>();
        List<String> cleared = new ArrayList<>(), callbacks = new ArrayList<>(), threads = new ArrayList<>();
        boolean empty() { return finalized.isEmpty() && freed.isEmpty() && created.isEmpty() && cleared.isEmpty() && callbacks.isEmpty(); }
        public String toString() {
            String s = "finalized(run order)=" + ids(finalized) + " cleared=" + names(cleared) + " callbacks=" + names(callbacks)
                + " freed=" + ids(freed) + (created.isEmpty() ? "" : " created=" + ids(created)) + " collected=" + freed.size();
            if (showThreads && !threads.isEmpty()) s += " threads=" + threads;
            return s;
        }
    }
    static String names(Collection<String> c) { return "[" + String.join(" ", c) + "]"; }
    static String ids(Collection<Integer> c) {
        StringJoiner j = new StringJoiner(" ", "[", "]");
        for (int i : c) j.add("@" + i);
        return j.toString();
    }

    /** Takes the events that arrived since the last call. */
    static Events events() {
        Events e = new Events();
        synchronized (FINLOG) { e.finalized.addAll(FINLOG); FINLOG.clear(); }
        synchronized (FINTHREADS) { e.threads.addAll(FINTHREADS); FINTHREADS.clear(); }
        synchronized (CREATED) { e.created.addAll(CREATED); CREATED.clear(); }
        for (Reference<? extends Obj> r; (r = FREEDQ.poll()) != null; ) {
            Ph p = (Ph) r; PHANTOMS.remove(p); e.freed.add(p.id); FREED.add(p.id);
        }
        Collections.sort(e.freed);
        for (WRef w : W.values()) if (!w.reported && w.get() == null) { w.reported = true; e.cleared.add(w.name); }
        Collections.sort(e.cleared);
        for (Reference<? extends Obj> r; (r = CBQ.poll()) != null; ) e.callbacks.add(((WRef) r).name);
        Collections.sort(e.callbacks);
        return e;
    }

    // ---- the trace interpreter ------------------------------------------------------------
    static int failures = 0;
    static String lastCollect = "";

    /** Runs one op (gcfuzz trace syntax); returns its events, or null for a comment. */
    static Events op(String line) {
        line = line.strip();
        if (line.isEmpty() || line.startsWith("#")) return null;
        String[] t = line.split("\\s+");
        switch (t[0]) {
            case "alloc": {
                int n = Integer.parseInt(t[2]); String fin = "none";
                for (int i = 3; i < t.length; i++) if (t[i].startsWith("fin=")) fin = t[i].substring(4);
                V.put(t[1], make(n, fin, false));
                break;
            }
            case "link": {
                Obj a = V.get(t[1]), b = V.get(t[3]); int s = Integer.parseInt(t[2]);
                if (a != null && b != null && s < a.slots.length) a.slots[s] = b;
                break;
            }
            case "unlink": {
                Obj a = V.get(t[1]); int s = Integer.parseInt(t[2]);
                if (a != null && s < a.slots.length) a.slots[s] = null;
                break;
            }
            case "load": {
                Obj w = V.get(t[2]); int s = Integer.parseInt(t[3]);
                if (w != null && s < w.slots.length) V.put(t[1], (Obj) w.slots[s]);
                break;
            }
            case "copy": { if (V.get(t[2]) != null) V.put(t[1], V.get(t[2])); break; }
            case "drop": { W.remove(t[1]); V.remove(t[1]); break; }
            case "weak": {
                Obj o = V.get(t[2]);
                if (o != null) W.put(t[1], new WRef(t[1], o, t.length > 3 && t[3].equals("cb")));
                break;
            }
            case "deref": {
                WRef w = W.get(t[2]);
                if (w != null) V.put(t[1], w.get());
                break;
            }
            case "collect": {
                long[] before = gcCounts();
                if (t.length > 1 && t[1].equals("young")) WB.young(); else collect();
                lastCollect = showGc ? " gc=" + gcDelta(before, gcCounts()) : "";
                break;
            }
            case "revived": {                                     // probe-only: V = revived[I]
                int i = Integer.parseInt(t[2]);
                V.put(t[1], i < revived.size() ? revived.get(i) : null);
                break;
            }
            case "gc": System.gc(); break;                       // a bare System.gc(), no waiting
            case "clear": if (t[1].equals("revived")) revived.clear(); break;
            case "expect": return expect(t, line);
            default: throw new IllegalArgumentException(line);
        }
        return events();
    }

    static Events lastEvents;
    static Events expect(String[] t, String line) {
        int w = Arrays.asList(t).indexOf("when");
        if (w >= 0 && !Arrays.asList(t).subList(w + 1, t.length).contains("java")) return null;
        int end = w >= 0 ? w : t.length;
        boolean ok = true;
        switch (t[1]) {
            case "collected": ok = lastEvents != null && lastEvents.freed.size() == Integer.parseInt(t[2]); break;
            case "freed": for (int i = 2; i < end; i++) ok &= FREED.contains(Integer.parseInt(t[i].substring(1))); break;
            case "alive": for (int i = 2; i < end; i++) ok &= !FREED.contains(Integer.parseInt(t[i].substring(1))); break;
            case "finalized": for (int i = 2; i < end; i++) ok &= FINCOUNT.containsKey(Integer.parseInt(t[i].substring(1))); break;
            case "garbage": ok = false; break;
            case "refcount": if (!quiet) System.out.println("   (" + line + ": not observable, skipped)"); return null;
            default: throw new IllegalArgumentException(line);
        }
        if (!ok) { failures++; if (!quiet) System.out.println("   EXPECTATION FAILED: " + line); }
        return null;
    }

    /** Runs a trace, printing `== name`, then one line per collect and per op with events. */
    static void run(String name, String trace) {
        if (!quiet) System.out.println("== " + name);
        List<String> lines = new ArrayList<>();
        for (String line : trace.split("\n")) {
            if (line.strip().startsWith("#")) continue;
            for (String part : line.split(";")) lines.add(part.strip());
        }
        for (String l : lines) {
            Events e = op(l);
            if (e == null) continue;
            if (l.startsWith("collect")) lastEvents = e;
            if (!quiet && (l.startsWith("collect") || !e.empty()))
                System.out.println(l + " -> " + e + (l.startsWith("collect") ? lastCollect : ""));
        }
    }

    /** Forgets everything of the previous scenario and lets its objects die. */
    static void reset() {
        V.clear(); W.clear(); revived.clear(); FIN_HOOKS.clear();
        collect("full"); collect("full"); collect("full");
        events();
        lastEvents = null;
    }

    static String header() {
        return "# java.vm.version=" + System.getProperty("java.vm.version") + " gc="
            + ManagementFactory.getGarbageCollectorMXBeans().stream().map(b -> b.getName()).toList()
            + " wait=" + waitMode + " ngc=" + ngc;
    }
}

/** WhiteBox access for `collect young` (probe 08); absent unless -XX:+WhiteBoxAPI etc. */
final class WB {
    static Object wb; static Method young, full;
    static synchronized void init() {
        if (wb != null) return;
        try {
            Class<?> c = Class.forName("sun.hotspot.WhiteBox");
            wb = c.getMethod("getWhiteBox").invoke(null);
            young = c.getMethod("youngGC"); full = c.getMethod("fullGC");
        } catch (ReflectiveOperationException e) { throw new RuntimeException(e); }
    }
    static void young() {
        init();
        try { young.invoke(wb); } catch (ReflectiveOperationException e) { throw new RuntimeException(e); }
        World.drainReferenceProcessing(); System.runFinalization(); World.waitFinalizerIdle(); World.drainReferenceProcessing();
    }
}
