// Q4: a resurrected object, dropped again, is freed without a second finalize().
public class P04_Resurrection {
    public static void main(String[] a) {
        System.out.println(World.header());
        String[][] sc = {
            {"resurrected_then_released", "alloc r 0 fin=resurrect; drop r; collect; collect; clear revived; collect; collect"},
            {"resurrected_with_dependents", "alloc r 1 fin=resurrect; alloc c 1; alloc d 0; link r 0 c; link c 0 d; drop c; drop d; drop r; collect; collect; clear revived; collect; collect"},
            {"resurrector_holds_finalizable (r -> f log)", "alloc r 1 fin=resurrect; alloc f 0 fin=log; link r 0 f; drop f; drop r; collect; collect; clear revived; collect; collect"},
            {"resurrected_taken_back_then_dropped", "alloc r 0 fin=resurrect; drop r; collect; revived r2 0; clear revived; collect; drop r2; collect; collect"},
            {"corpus:resurrection_into_revived-like (two resurrectors in a cycle)", "alloc a 1 fin=resurrect; alloc b 1 fin=resurrect; link a 0 b; link b 0 a; drop a; drop b; collect; collect; clear revived; collect"},
        };
        for (String[] s : sc) { World.reset(); World.run(s[0] + ": " + s[1], s[1]); System.out.println("   #revived=" + World.revived.size()); }
    }
}
