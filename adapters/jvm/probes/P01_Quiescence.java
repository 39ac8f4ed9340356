// Q1: is everything a collection causes observable when World.collect(mode) returns?
// Usage: java ... P01_Quiescence N
// For each wait mode, N iterations of one scenario (fresh objects each time):
//   4 plain objects p0..p3 (weak wp0 cb to p0), 4 log objects f0..f3 each holding a plain
//   dependent d0..d3 (weak wf0 cb to f0), 1 resurrect object r; everything dropped;
//   collect; clear revived; collect.
// Expected (SPEC 3.4): collect#1 finalized {f0..f3, r}, cleared/callbacks {wf0 wp0},
//   freed {p0..p3}; collect#2 freed {f0..f3, d0..d3, r}.
// Ids are printed relative to the iteration's first id (p0 = @0 ... r = @12); an event of an
// earlier iteration that arrives late shows up with a negative id.
import java.util.*;

public class P01_Quiescence {
    static final String[] MODES = {"gc", "gc+rf", "gc+wfrp", "gc+wfrp+rf", "full"};

    static String rel(World.Events e, int base) {
        List<Integer> fin = new ArrayList<>();
        for (int i : e.finalized) fin.add(i - base);
        Collections.sort(fin);                    // order is Q5's business; sets here
        List<Integer> fr = new ArrayList<>();
        for (int i : e.freed) fr.add(i - base);
        return "fin=" + World.ids(fin) + " clr=" + World.names(e.cleared) + " cb=" + World.names(e.callbacks) + " freed=" + World.ids(fr);
    }

    public static void main(String[] args) throws Exception {
        int nAll = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        System.out.println(World.header() + " iterations=" + nAll + " (modes gc and gc+rf: " + Math.max(1, nAll / 5) + ")");
        World.quiet = true;
        String scen = "alloc p0 0;alloc p1 0;alloc p2 0;alloc p3 0;"
            + "alloc d0 0;alloc f0 1 fin=log;link f0 0 d0;alloc d1 0;alloc f1 1 fin=log;link f1 0 d1;"
            + "alloc d2 0;alloc f2 1 fin=log;link f2 0 d2;alloc d3 0;alloc f3 1 fin=log;link f3 0 d3;"
            + "alloc r 0 fin=resurrect;weak wp0 p0 cb;weak wf0 f0 cb;"
            + "drop p0;drop p1;drop p2;drop p3;drop d0;drop d1;drop d2;drop d3;drop f0;drop f1;drop f2;drop f3;drop r";
        String exp1 = "fin=[@5 @7 @9 @11 @12] clr=[wf0 wp0] cb=[wf0 wp0] freed=[@0 @1 @2 @3]";
        String exp2 = "fin=[] clr=[] cb=[] freed=[@4 @5 @6 @7 @8 @9 @10 @11 @12]";
        for (String mode : MODES) {
            // the racy modes need fewer iterations to show their misses
            int n = mode.equals("gc") || mode.equals("gc+rf") ? Math.max(1, nAll / 5) : nAll;
            World.reset();
            Map<String, Integer> hist = new TreeMap<>();
            int miss = 0, rfBusy = 0, rfPending = 0;
            long t0 = System.nanoTime();
            for (int it = 0; it < n; it++) {
                int base = World.NEXT.get();
                for (String op : scen.split(";")) World.op(op);
                World.collect(mode);
                boolean busy = !World.finalizerIdle();
                boolean pending = hasPending();
                String e1 = rel(World.events(), base);
                World.op("clear revived");
                World.collect(mode);
                busy |= !World.finalizerIdle();
                pending |= hasPending();
                String e2 = rel(World.events(), base);
                if (busy) rfBusy++;
                if (pending) rfPending++;
                String k = "#1 " + e1 + " | #2 " + e2;
                hist.merge(k, 1, Integer::sum);
                if (!e1.equals(exp1) || !e2.equals(exp2)) miss++;
                World.W.clear();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            Thread.sleep(300);
            World.drainReferenceProcessing();
            World.Events late = World.events();
            System.out.println("mode=" + mode + ": misses=" + miss + "/" + n
                + " finalizer-not-idle-at-return=" + rfBusy + " refs-pending-at-return=" + rfPending
                + " stragglers-after-300ms=" + (late.finalized.size() + late.freed.size() + late.callbacks.size()) + " (" + ms + " ms)");
            hist.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(6)
                .forEach(en -> System.out.println(String.format("  %5d x %s", en.getValue(), en.getKey())));
        }
        // How often did the "full" mode's steps actually have work to wait for?
        int n = nAll;
        World.reset();
        int wfrpWaited = 0, spun = 0, wfrpWaited2 = 0;
        for (int it = 0; it < n; it++) {
            for (String op : scen.split(";")) World.op(op);
            System.gc();
            if (World.drainReferenceProcessing() > 0) wfrpWaited++;
            System.runFinalization();
            if (World.waitFinalizerIdle() > 0) spun++;
            if (World.drainReferenceProcessing() > 0) wfrpWaited2++;
            World.events();
            World.op("clear revived");
            World.collect("full");
            World.events();
            World.W.clear();
        }
        System.out.println("full mode, first collect of each iteration: waitForReferenceProcessing waited in "
            + wfrpWaited + "/" + n + "; Finalizer thread still busy after runFinalization in " + spun + "/" + n
            + "; second waitForReferenceProcessing waited in " + wfrpWaited2 + "/" + n);
    }

    static boolean hasPending() throws Exception {
        java.lang.reflect.Method m = java.lang.ref.Reference.class.getDeclaredMethod("hasReferencePendingList");
        m.setAccessible(true);
        java.lang.reflect.Field f = java.lang.ref.Reference.class.getDeclaredField("processPendingActive");
        f.setAccessible(true);
        return (Boolean) m.invoke(null) || f.getBoolean(null);
    }
}
