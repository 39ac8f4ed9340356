// Q9: one scenario, mixing every finalizer kind, weak variables with and without callbacks,
// cycles, dependents and resurrection. run_all.sh runs it 200 times per GC (fresh JVM each
// time) and counts distinct outputs, with and without finalizer run order.
public class P09_Determinism {
    public static void main(String[] a) {
        World.showGc = true;
        World.run("determinism",
            "alloc z 1; alloc f 1 fin=log; alloc c 1; alloc d 1; alloc p 0; link z 0 f; link f 0 c; link c 0 d; link d 0 c;"
            + "alloc r 1 fin=resurrect; alloc q 0; link r 0 q; alloc a0 0 fin=alloc; alloc a1 1 fin=alloc; alloc g 1 fin=log; link g 0 a1;"
            + "alloc h 1 fin=log; alloc i 1 fin=log; link h 0 i; link i 0 h; alloc keep 1; link keep 0 p;"
            + "weak wf f cb; weak wc c; weak wr r cb; weak wq q cb; weak wp p cb; weak wa1 a1;"
            + "drop f; drop c; drop d; drop p; drop z; drop r; drop q; drop a0; drop a1; drop g; drop h; drop i;"
            + "collect; deref back wr; collect; clear revived; unlink keep 0; collect; collect");
    }
}
