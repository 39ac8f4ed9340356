// Q8: is a self-written sun.hotspot.WhiteBox usable, and what does youngGC() do to the
// gcfuzz world? Run with -XX:+UnlockDiagnosticVMOptions -XX:+WhiteBoxAPI
// -Xbootclasspath/a:<dir with sun/hotspot/WhiteBox.class>, and -Dshowgc=true.
// Optional -XX:MaxTenuringThreshold=0 makes every survivor of a young GC old at once.
import java.util.*;

public class P08_WhiteBox {
    public static void main(String[] a) throws Exception {
        System.out.println(World.header());
        Class<?> c;
        try { c = Class.forName("sun.hotspot.WhiteBox"); }
        catch (Throwable t) { System.out.println("sun.hotspot.WhiteBox: " + t); return; }
        System.out.println("WhiteBox class loader: " + c.getClassLoader());
        Object wb;
        try { wb = c.getMethod("getWhiteBox").invoke(null); }
        catch (java.lang.reflect.InvocationTargetException e) {
            Throwable t = e.getCause();
            System.out.println("WhiteBox init failed: " + t + (t.getCause() != null ? ", caused by " + t.getCause() : ""));
            return;
        }
        try { System.out.println("getHeapOopSize() = " + c.getMethod("getHeapOopSize").invoke(wb)); }
        catch (java.lang.reflect.InvocationTargetException e) { System.out.println("getHeapOopSize() failed: " + e.getCause()); return; }
        java.lang.reflect.Method old = c.getMethod("isObjectInOldGen", Object.class);

        // age probe: how many young GCs until an object is in the old generation?
        World.reset();
        World.op("alloc x 0");
        StringBuilder ages = new StringBuilder("isObjectInOldGen(new object) after 0,1,2,... youngGC(): ");
        for (int i = 0; i <= 16; i++) {
            ages.append((Boolean) old.invoke(wb, World.V.get("x")) ? "O" : "y");
            World.op("collect young");
        }
        System.out.println(ages);
        World.op("alloc x 0"); World.op("collect");
        System.out.println("isObjectInOldGen after one full collect: " + old.invoke(wb, World.V.get("x")));

        String[][] sc = {
            {"young_frees_young_trash", "alloc a 0; alloc f 0 fin=log; weak wa a cb; drop a; drop f; collect young; collect young; collect young"},
            {"young_skips_old_trash", "alloc a 0; alloc f 0 fin=log; collect; weak wa a cb; drop a; drop f; collect young; collect young; collect"},
            {"survived_one_young_then_trash", "alloc a 0; alloc f 0 fin=log; collect young; drop a; drop f; collect young; collect young; collect"},
            {"corpus:young_finalized_survivors_become_old", "alloc x 2;alloc y 1;alloc f 1 fin=log;alloc k 0;link x 0 y;link y 0 x;link x 1 f;link f 0 k;drop k;drop f;drop x;drop y;"
                + "collect young;expect freed @0 @1;expect finalized @2;expect collected 2 when legacy java boehm;expect alive @2 @3 when java boehm;"
                + "collect young;expect collected 0;expect alive @2 @3 when java boehm;collect;expect collected 2 when java boehm;expect freed @0 @1 @2 @3"},
            {"corpus:young_finalizer_allocations_stay_young", "alloc x 3;alloc y 1;alloc a0 0 fin=alloc;alloc a1 1 fin=alloc;link x 0 y;link y 0 x;link x 1 a0;link x 2 a1;drop a0;drop a1;drop x;drop y;"
                + "collect young;expect freed @0 @1;expect finalized @2 @3;expect collected 2 when legacy java boehm;expect alive @2 @3 @4 @5 when java boehm;"
                + "collect young;expect collected 1 when java boehm;expect freed @4;expect alive @2 @3 @5 when java boehm;"
                + "collect;expect collected 3 when java boehm;expect freed @0 @1 @2 @3 @4 @5"},
            {"corpus:young_old_to_young_references_are_roots", "alloc o 1;alloc z 2;link z 0 z;collect;expect collected 0;alloc w 0 fin=log;link z 1 w;drop z;drop w;alloc f 1 fin=log;alloc c 0;link f 0 c;link o 0 f;drop f;drop c;"
                + "collect young;expect collected 0;expect alive @1 @2 @3 @4;unlink o 0;expect alive @3 @4 when java boehm;collect young;expect collected 0;expect alive @1 @2;"
                + "collect;expect collected 1 when legacy java boehm;expect freed @1;expect finalized @2;expect finalized @3 when java boehm;expect alive @2 @3 @4 when java boehm;"
                + "collect;expect collected 3 when java boehm;expect freed @1 @2 @3 @4"},
        };
        for (String[] s : sc) {
            World.reset();
            int base = World.NEXT.get();
            // the corpus traces number from @0: shift their expectations by base
            String trace = s[1];
            if (base != 0) {
                StringBuilder b = new StringBuilder();
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("@(\\d+)").matcher(trace);
                while (m.find()) m.appendReplacement(b, "@" + (Integer.parseInt(m.group(1)) + base));
                m.appendTail(b);
                trace = b.toString();
            }
            int f0 = World.failures;
            World.run(s[0] + " (ids from @" + base + ")", trace);
            if (s[0].startsWith("corpus:")) System.out.println("   expectations failed: " + (World.failures - f0));
        }
    }
}
