// Q6: objects reachable only from finalizable trash; finalizable objects reachable from
// other finalizable objects.
public class P06_Dependents {
    public static void main(String[] a) {
        System.out.println(World.header());
        String[][] sc = {
            {"dependents_kept_one_collection (a log -> b -> c; d alone)", "alloc a 1 fin=log; alloc b 1; alloc c 0; alloc d 0; link a 0 b; link b 0 c; weak wb b cb; weak wc c cb; weak wd d cb; drop b; drop c; drop d; drop a; collect; collect; collect"},
            {"finalizable_reached_by_finalizable (a log -> b log -> c)", "alloc a 1 fin=log; alloc b 1 fin=log; alloc c 0; link a 0 b; link b 0 c; drop c; drop b; drop a; collect; collect"},
            {"finalizable_cycle (a log <-> b log)", "alloc a 1 fin=log; alloc b 1 fin=log; link a 0 b; link b 0 a; drop a; drop b; collect; collect"},
            {"finalizable_self_loop", "alloc a 1 fin=log; link a 0 a; drop a; collect; collect"},
            {"plain_holder_of_finalizable (h -> f log -> c)", "alloc h 1; alloc f 1 fin=log; alloc c 0; link h 0 f; link f 0 c; drop c; drop f; drop h; collect; collect"},
            {"dependent_of_resurrector_reached_later (r resurrect -> c -> f log)", "alloc r 1 fin=resurrect; alloc c 1; alloc f 0 fin=log; link r 0 c; link c 0 f; drop f; drop c; drop r; collect; collect; clear revived; collect; collect"},
        };
        for (String[] s : sc) { World.reset(); World.run(s[0] + ": " + s[1], s[1]); }
    }
}
