// Q3: when is finalized trash freed? Run with -Dngc=1 and -Dngc=2 (System.gc() calls per
// collect) and -Dshowgc=true (which collectors' counts moved during each collect).
public class P03_FreeTiming {
    public static void main(String[] a) {
        System.out.println(World.header());
        String[][] sc = {
            {"plain_object_freed_at_once", "alloc p 0; drop p; collect; collect"},
            {"finalized_object_freed_next_collection", "alloc f 0 fin=log; drop f; collect; collect; collect"},
            {"finalizable_chain_and_plain", "alloc z 1; alloc f 1 fin=log; alloc c 1; alloc d 1; alloc p 0; link z 0 f; link f 0 c; link c 0 d; link d 0 c;"
                + " drop f; drop c; drop d; drop p; drop z; collect; collect; collect"},
            {"nothing_dies_between_collections", "alloc a 1; alloc b 0 fin=log; link a 0 b; weak wa a cb; weak wb b cb; drop b; drop a; alloc x 0; alloc y 0; drop x; collect; collect"},
            {"bare_gc_then_collect (one System.gc() without waiting, then a collect)", "alloc f 0 fin=log; alloc p 0; drop f; drop p; gc; collect; collect"},
        };
        for (String[] s : sc) { World.reset(); World.run(s[0] + ": " + s[1], s[1]); }
    }
}
