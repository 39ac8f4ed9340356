// Q5: order of finalize() calls among one collection's finalizable trash.
// Each scenario is repeated R times in this process (fresh objects each time); run order is
// printed relative to the scenario's first id, with the count of repetitions giving it.
import java.util.*;

public class P05_Order {
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        System.out.println(World.header() + " reps=" + reps);
        StringBuilder ind = new StringBuilder(), rev = new StringBuilder(), chainF = new StringBuilder(), chainB = new StringBuilder(), cyc = new StringBuilder(), mixed = new StringBuilder();
        for (int i = 0; i < 8; i++) ind.append("alloc o" + i + " 0 fin=log;");
        for (int i = 0; i < 8; i++) ind.append("drop o" + i + ";");
        for (int i = 0; i < 8; i++) rev.append("alloc o" + i + " 0 fin=log;");
        for (int i = 7; i >= 0; i--) rev.append("drop o" + i + ";");
        for (int i = 0; i < 8; i++) chainF.append("alloc o" + i + " 1 fin=log;");
        for (int i = 0; i < 7; i++) chainF.append("link o" + i + " 0 o" + (i + 1) + ";");
        for (int i = 0; i < 8; i++) chainF.append("drop o" + i + ";");
        for (int i = 0; i < 8; i++) chainB.append("alloc o" + i + " 1 fin=log;");
        for (int i = 7; i > 0; i--) chainB.append("link o" + i + " 0 o" + (i - 1) + ";");
        for (int i = 0; i < 8; i++) chainB.append("drop o" + i + ";");
        cyc.append(chainF.toString().replace("drop o0;", "link o7 0 o0;drop o0;"));
        // mixed: a live holder h keeps o2; plain objects interleaved; held-by-root variable shuffle
        mixed.append("alloc o0 0 fin=log;alloc p0 0;alloc o1 1 fin=log;alloc o2 0 fin=log;alloc p1 1;alloc o3 1 fin=log;link p1 0 o3;link o1 0 p1;alloc o4 0 fin=log;");
        mixed.append("drop o3;drop p1;drop o0;drop o4;drop p0;drop o1;drop o2;");
        String[][] sc = {
            {"independent (8 log, dropped in alloc order)", ind.toString()},
            {"independent (8 log, dropped in reverse order)", rev.toString()},
            {"chain o0->o1->...->o7", chainF.toString()},
            {"chain o7->o6->...->o0", chainB.toString()},
            {"cycle o0->o1->...->o7->o0", cyc.toString()},
            {"mixed (o1 -> p1 -> o3, plain p0 p1)", mixed.toString()},
        };
        World.quiet = true;
        for (String[] s : sc) {
            World.reset();
            Map<String, Integer> hist = new LinkedHashMap<>();
            for (int r = 0; r < reps; r++) {
                int base = World.NEXT.get();
                World.run(s[0], s[1]);
                World.collect();
                World.Events e = World.events();
                List<Integer> rel = new ArrayList<>();
                for (int id : e.finalized) rel.add(id - base);
                hist.merge(World.ids(rel) + " threads=" + new TreeSet<>(e.threads), 1, Integer::sum);
                World.collect(); World.events();
            }
            System.out.println("== " + s[0] + ": " + s[1]);
            hist.forEach((k, v) -> System.out.println(String.format("  %3d x finalized(run order)=%s", v, k)));
        }
    }
}
