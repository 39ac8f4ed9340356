// What the adapter needs of HotSpot beyond the public API: which collector runs, a young
// collection (WhiteBox), and knowing when a collection's reference processing and
// finalization are over (adapters/jvm/probes/FINDINGS.md, Q1). The reflective parts need
// --add-opens java.base/java.lang.ref=ALL-UNNAMED.
package gcfuzz.jvm;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.List;

final class HotSpot {
    private HotSpot() {}

    private static Method waitForReferenceProcessing;
    private static Object finalizerQueue;
    private static Field queueLength;
    private static Field referentField;
    private static Thread finalizerThread;
    private static Object whiteBox;
    private static Method youngGC;
    private static final List<GarbageCollectorMXBean> BEANS =
            ManagementFactory.getGarbageCollectorMXBeans();

    /** Sets up the reflective access; returns null, or why the adapter cannot run. */
    static String init() {
        try {
            waitForReferenceProcessing = Reference.class.getDeclaredMethod("waitForReferenceProcessing");
            waitForReferenceProcessing.setAccessible(true);
            Class<?> finalizer = Class.forName("java.lang.ref.Finalizer");
            Field queue = finalizer.getDeclaredField("queue");
            queue.setAccessible(true);
            finalizerQueue = queue.get(null);
            queueLength = ReferenceQueue.class.getDeclaredField("queueLength");
            queueLength.setAccessible(true);
            referentField = Reference.class.getDeclaredField("referent");
            referentField.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "start java with --add-opens java.base/java.lang.ref=ALL-UNNAMED (" + e + ")";
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("Finalizer")) finalizerThread = t;
        }
        if (finalizerThread == null) return "no thread named Finalizer in this JVM";
        if (flag("DisableExplicitGC").equals("true") || flag("ExplicitGCInvokesConcurrent").equals("true")) {
            return "System.gc() must be a synchronous full collection: drop -XX:+DisableExplicitGC and"
                    + " -XX:+ExplicitGCInvokesConcurrent";
        }
        if (gcName().equals("parallel") && flag("ScavengeBeforeFullGC").equals("true")) {
            // Measured: with it, `alloc a 0 fin=log; collect; alloc b 1 fin=log; link b 0 a;
            // alloc b 0; drop a; collect` finalizes only b. The scavenge finalizes b, which then
            // keeps a reachable through the pending list during the full collection.
            return "start the Parallel collector with -XX:-ScavengeBeforeFullGC: its scavenge before"
                    + " each System.gc() processes references on its own (docs/jvm.md)";
        }
        try {
            Class<?> c = Class.forName("sun.hotspot.WhiteBox");
            Object wb = c.getMethod("getWhiteBox").invoke(null);
            Method young = c.getMethod("youngGC");
            whiteBox = wb;
            youngGC = young;
        } catch (ReflectiveOperationException | LinkageError e) {
            // No WhiteBox: not generational (see generational()).
        }
        return null;
    }

    /** A VM flag's value, or "" when the VM has no such flag. */
    static String flag(String name) {
        try {
            return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name).getValue();
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    /**
     * Whether `collect young` is a young collection that follows SPEC section 4: only with
     * WhiteBox, with every young survivor promoted (MaxTenuringThreshold=0) and with
     * referent-based discovery (RefDiscoveryPolicy=1), else an old Reference pins its young
     * referent (adapters/jvm/probes/FINDINGS.md, Q8).
     */
    static boolean generational() {
        return whiteBox != null && flag("MaxTenuringThreshold").equals("0") && flag("RefDiscoveryPolicy").equals("1");
    }

    /** serial, parallel, g1, or what the MXBeans are called. */
    static String gcName() {
        StringBuilder names = new StringBuilder();
        for (GarbageCollectorMXBean b : BEANS) names.append(b.getName()).append(';');
        String n = names.toString();
        if (n.contains("MarkSweepCompact")) return "serial";
        if (n.contains("PS MarkSweep")) return "parallel";
        if (n.contains("G1 ")) return "g1";
        return n.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("-$", "").toLowerCase();
    }

    static String gcBeans() {
        StringBuilder names = new StringBuilder();
        for (GarbageCollectorMXBean b : BEANS) names.append(names.length() == 0 ? "" : ", ").append(b.getName());
        return names.toString();
    }

    /** How many collections the runtime has run, of any kind. */
    static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean b : BEANS) n += b.getCollectionCount();
        return n;
    }

    /** A referent, read without clearing or enqueuing anything (for the heap reply). */
    static Object referent(Reference<?> r) {
        try {
            return referentField.get(r);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One collection: System.gc(), or a WhiteBox young GC; then the quiescence wait. */
    static void collect(boolean young) {
        if (young && generational()) {
            try {
                youngGC.invoke(whiteBox);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        } else {
            System.gc();
        }
        quiesce();
    }

    /**
     * Returns once the collection's references are all on their queues and every finalizer
     * it made runnable has returned (adapters/jvm/probes/FINDINGS.md, Q1, the `full` mode:
     * 0 misses in 1000 scenarios under each GC):
     * 1. Reference.waitForReferenceProcessing() until false: the Reference Handler has
     *    enqueued every pending reference, the FinalReferences included;
     * 2. System.runFinalization(): a secondary finalizer thread drains Finalizer's queue;
     * 3. until the Finalizer thread waits on an empty queue: a finalize() it had already
     *    taken has returned (runFinalization does not wait for that one);
     * 4. waitForReferenceProcessing() until false again.
     * No sleeping: each step waits for a condition of the runtime.
     */
    static void quiesce() {
        drainReferenceProcessing();
        System.runFinalization();
        while (!(finalizerThread.getState() == Thread.State.WAITING && finalizerQueueLength() == 0)) {
            Thread.yield();
        }
        drainReferenceProcessing();
    }

    private static void drainReferenceProcessing() {
        try {
            while ((Boolean) waitForReferenceProcessing.invoke(null)) {
                // it waited for progress; ask again until the handler is idle
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long finalizerQueueLength() {
        try {
            return queueLength.getLong(finalizerQueue);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
