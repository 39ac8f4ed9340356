// Q7: objects allocated inside finalize(): are they live, when are they freed?
public class P07_AllocInFinalizer {
    public static void main(String[] a) {
        System.out.println(World.header());
        String[][] sc = {
            {"alloc_into_slot (a alloc, 1 slot)", "alloc a 1 fin=alloc; drop a; collect; collect; collect"},
            {"alloc_unreferenced (a alloc, 0 slots)", "alloc a 0 fin=alloc; drop a; collect; collect; collect"},
            {"alloc_replaces_slot_target (a alloc -> c)", "alloc a 1 fin=alloc; alloc c 0; link a 0 c; weak wc c cb; drop c; drop a; collect; collect; collect"},
            {"alloc_by_resurrector_kept (r resurrect is not alloc; a alloc held by live h)", "alloc h 1; alloc a 1 fin=alloc; link h 0 a; drop a; collect; unlink h 0; collect; collect; collect"},
            {"two_allocators (creation order = run order)", "alloc a0 0 fin=alloc; alloc a1 1 fin=alloc; alloc a2 1 fin=alloc; drop a0; drop a1; drop a2; collect; collect"},
        };
        for (String[] s : sc) { World.reset(); World.run(s[0] + ": " + s[1], s[1]); }
    }
}
