public class P00_Smoke {
    public static void main(String[] a) {
        System.out.println(World.header());
        World.run("smoke", "alloc p 0; alloc f 1 fin=log; alloc c 0; link f 0 c; weak wp p cb; weak wf f; weak wc c cb; drop p; drop f; drop c; collect; collect; collect");
    }
}
