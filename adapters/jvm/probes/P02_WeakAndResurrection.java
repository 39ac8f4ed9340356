// Q2: weak references are cleared before finalization, and stay cleared after resurrection.
// Inside each finalize() a hook prints, for every bound weak variable, whether get() is
// null and whether the WeakReference is already enqueued (callback pending).
import java.util.*;

public class P02_WeakAndResurrection {
    @SuppressWarnings("deprecation")
    static void hook(Obj o) {
        StringJoiner j = new StringJoiner(" ");
        for (World.WRef w : World.W.values())
            j.add(w.name + "=" + (w.get() == null ? "null" : "@" + w.get().id) + (w.cb ? (w.isEnqueued() ? "(enqueued)" : "(not enqueued)") : ""));
        System.out.println("   in finalize(@" + o.id + "): " + j);
    }

    public static void main(String[] a) {
        System.out.println(World.header());
        String[][] sc = {
            {"weak_to_finalizable", "alloc f 0 fin=log; weak wf f cb; weak wf2 f; drop f; collect; collect"},
            {"weak_to_resurrected", "alloc r 0 fin=resurrect; weak wr r cb; drop r; collect; deref back wr; collect"
                + "; revived r2 0; weak wr2 r2 cb; drop r2; collect; clear revived; collect; collect"},
            {"weak_to_dependent_of_finalizable", "alloc f 1 fin=log; alloc c 0; link f 0 c; weak wf f cb; weak wc c cb; drop c; drop f; collect; collect"},
            {"weak_to_dependent_of_resurrector", "alloc r 1 fin=resurrect; alloc c 0; link r 0 c; weak wc c cb; drop c; drop r; collect; collect"
                + "; revived r2 0; load c2 r2 0; weak wc2 c2 cb; drop r2; drop c2; collect; clear revived; collect"},
            {"weak_to_finalizable_reached_by_finalizable", "alloc a 1 fin=log; alloc b 0 fin=log; link a 0 b; weak wa a cb; weak wb b cb; drop b; drop a; collect; collect"},
            {"weak_to_reachable_never_cleared", "alloc k 0; alloc f 1 fin=log; link f 0 k; weak wk k cb; drop f; collect; collect; deref k2 wk; collect"},
            {"corpus:weak_references_cleared_before_finalization",
                "alloc f 1 fin=log; alloc k 0; link f 0 k; alloc r 0 fin=resurrect; alloc keep 0; weak wf f cb; weak wk k cb; weak wr r cb; weak wkeep keep cb;"
                + " drop k; drop f; drop r; collect; deref back_r wr; drop back_r; deref back_k wk; deref keep_again wkeep; collect"},
        };
        for (String[] s : sc) {
            World.reset();
            World.FIN_HOOKS.add(P02_WeakAndResurrection::hook);
            World.run(s[0] + ": " + s[1], s[1]);
            System.out.println("   after: V=" + vars() + " #revived=" + World.revived.size());
        }
    }

    static String vars() {
        StringJoiner j = new StringJoiner(" ", "{", "}");
        new TreeMap<>(World.V).forEach((k, v) -> j.add(k + "=" + (v == null ? "null" : "@" + v.id)));
        return j.toString();
    }
}
