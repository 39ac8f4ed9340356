// gcfuzz's adapter for HotSpot: speaks gcfuzz's line protocol, version 1 (docs/protocol.md),
// on standard input and output, performing each op of a trace on real Java objects and
// reporting what the JVM did. One JVM serves one collector (the one it was started with:
// -XX:+UseSerialGC, -XX:+UseParallelGC or -XX:+UseG1GC) and its mutants, for many traces.
// docs/jvm.md gives the mapping, the command line gcfuzz uses, and why each flag is there.
package gcfuzz.jvm;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

public final class Adapter {
    static final int PROTOCOL = 1;
    static final int MAX_SLOTS = 16;

    /** The mutants: name suffix -> what the planted bug does. */
    static final Map<String, String> MUTANTS = new LinkedHashMap<>();

    static {
        MUTANTS.put("clear-after-finalize",
                "reports a weak variable cleared only once its referent is freed, a collection late for"
                        + " finalizable trash");
        MUTANTS.put("forgets-resurrected-frees",
                "never reports the free of an object whose finalizer resurrected it");
    }

    private static PrintStream out;
    private static Trace trace;
    private static String base; // jvm-GC:java

    public static void main(String[] args) throws Exception {
        // Standard output carries replies only: anything else Java code prints goes to stderr.
        out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        String problem = HotSpot.init();
        base = "jvm-" + HotSpot.gcName() + ":java";
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String reply;
            String[] w = line.trim().split("\\s+");
            if (w.length == 1 && w[0].equals("bye")) break;
            try {
                if (w[0].equals("gcfuzz-protocol") && w.length == 2) {
                    reply = problem != null ? error(problem) : handshake(w[1]);
                } else if (problem != null) {
                    reply = error(problem);
                } else if (w[0].equals("reset") && w.length == 2) {
                    reply = reset(w[1]);
                } else if (w[0].equals("heap") && w.length == 1) {
                    if (trace == null) throw new BadRequest("no trace: send reset NAME first");
                    reply = trace.heap();
                } else {
                    reply = op(w);
                }
            } catch (BadRequest e) {
                reply = error(e.getMessage() + ": " + line);
            } catch (RuntimeException e) {
                e.printStackTrace();
                reply = error(e.toString());
            }
            out.print(reply);
            out.print('\n');
            out.flush();
        }
    }

    static String error(String why) {
        StringBuilder sb = new StringBuilder("{\"error\": ");
        Json.string(sb, why);
        return sb.append('}').toString();
    }

    static String handshake(String version) {
        if (!version.matches("\\d+") || Integer.parseInt(version) < PROTOCOL) {
            return error("this adapter speaks gcfuzz-protocol " + PROTOCOL + ", not " + version);
        }
        String origin = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                + HotSpot.gcBeans() + ")";
        StringBuilder caps = new StringBuilder("{\"policy\": \"java\", \"precision\": \"exact\","
                + " \"collects_cycles\": true, \"generational\": ")
                .append(HotSpot.generational())
                .append(", \"moving\": true, \"incremental\": false, \"refcounts\": false}");
        StringBuilder sb = new StringBuilder("{\"protocol\": ").append(PROTOCOL).append(", \"collectors\": [");
        collector(sb, base, null, "HotSpot's " + HotSpot.gcName() + " collector: finalize(), WeakReference,"
                + " PhantomReference" + (HotSpot.generational() ? ", young collections through WhiteBox" : ""),
                origin, caps);
        for (Map.Entry<String, String> m : MUTANTS.entrySet()) {
            sb.append(", ");
            collector(sb, base + "~" + m.getKey(), base, m.getValue(), origin, caps);
        }
        return sb.append("]}").toString();
    }

    private static void collector(StringBuilder sb, String name, String mutantOf, String summary, String origin,
            CharSequence caps) {
        sb.append("{\"name\": ");
        Json.string(sb, name);
        if (mutantOf != null) {
            sb.append(", \"mutant_of\": ");
            Json.string(sb, mutantOf);
        }
        sb.append(", \"summary\": ");
        Json.string(sb, summary);
        sb.append(", \"origin\": ");
        Json.string(sb, origin);
        sb.append(", \"capabilities\": ").append(caps).append('}');
    }

    static String reset(String name) {
        String bug = null;
        if (!name.equals(base)) {
            if (!name.startsWith(base + "~") || !MUTANTS.containsKey(name.substring(base.length() + 1))) {
                throw new BadRequest("no collector named " + name);
            }
            bug = name.substring(base.length() + 1);
        }
        // The previous trace's objects die now: one collection frees its plain trash and
        // finalizes the rest, a second frees what the first finalized. Nothing of theirs
        // would show anyway (Trace says why); this keeps the heap small.
        Trace old = trace;
        trace = null;
        if (old != null) {
            boolean twice = old.hadFinalizers;
            old = null;
            HotSpot.collect(false);
            if (twice) HotSpot.collect(false);
        }
        trace = new Trace(bug);
        return "{\"ok\": true}";
    }

    static int number(String text, String what, int max) {
        if (!text.matches("\\d{1,10}")) throw new BadRequest("not " + what + ": " + text);
        long n = Long.parseLong(text);
        if (n > max) throw new BadRequest(what + " too large: " + text);
        return (int) n;
    }

    static void operands(String[] w, int... counts) {
        for (int c : counts) {
            if (w.length - 1 == c) return;
        }
        throw new BadRequest("wrong number of operands");
    }

    static String op(String[] w) {
        if (trace == null) throw new BadRequest("no trace: send reset NAME first");
        Trace t = trace;
        long before = HotSpot.collections();
        boolean collect = false;
        switch (w[0]) {
            case "alloc": {
                if (w.length < 3 || w.length > 5) throw new BadRequest("wrong number of operands");
                int slots = number(w[2], "a slot count", MAX_SLOTS);
                int i = 3;
                String fin = "none";
                int bytes = 0;
                if (i < w.length && w[i].startsWith("fin=")) fin = w[i++].substring(4);
                if (i < w.length && w[i].startsWith("bytes=")) bytes = number(w[i++].substring(6), "a size", Integer.MAX_VALUE - 16);
                if (i < w.length) throw new BadRequest("expected fin=KIND or bytes=N, found " + w[i]);
                t.alloc(w[1], slots, fin, bytes);
                break;
            }
            case "link":
                operands(w, 3);
                t.link(w[1], number(w[2], "a slot index", Integer.MAX_VALUE), w[3]);
                break;
            case "unlink":
                operands(w, 2);
                t.unlink(w[1], number(w[2], "a slot index", Integer.MAX_VALUE));
                break;
            case "load":
                operands(w, 3);
                t.load(w[1], w[2], number(w[3], "a slot index", Integer.MAX_VALUE));
                break;
            case "copy":
                operands(w, 2);
                t.copy(w[1], w[2]);
                break;
            case "drop":
                operands(w, 1);
                t.drop(w[1]);
                break;
            case "weak":
                operands(w, 2, 3);
                if (w.length == 4 && !w[3].equals("cb")) throw new BadRequest("expected cb, found " + w[3]);
                t.weak(w[1], w[2], w.length == 4);
                break;
            case "deref":
                operands(w, 2);
                t.deref(w[1], w[2]);
                break;
            case "collect":
                operands(w, 0, 1);
                if (w.length == 2 && !w[1].equals("young")) throw new BadRequest("expected young, found " + w[1]);
                HotSpot.collect(w.length == 2);
                collect = true;
                break;
            case "clear":
                operands(w, 1);
                if (w[1].equals("revived")) {
                    t.clearRevived();
                } else if (!w[1].equals("garbage")) { // garbage stays empty under java
                    throw new BadRequest("cannot clear " + w[1]);
                }
                break;
            default:
                throw new BadRequest("unknown request");
        }
        if (!collect && HotSpot.collections() != before) {
            // The JVM collected on its own (the heap is sized so that it should not): what that
            // collection did is reported here, where it was seen, after it is over.
            System.err.println("gcfuzz-jvm: the JVM collected on its own during `" + String.join(" ", w) + "`");
            HotSpot.quiesce();
        }
        String events = t.takeEvents();
        if (!collect) return events + "}";
        return events + ", \"collected\": " + t.lastFreed + "}";
    }
}

/** A request the adapter cannot perform as sent: answered with {"error": ...}. */
final class BadRequest extends RuntimeException {
    BadRequest(String why) {
        super(why);
    }
}

final class Json {
    private Json() {}

    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }

    static void ints(StringBuilder sb, Iterable<Integer> values) {
        sb.append('[');
        boolean first = true;
        for (int v : values) {
            sb.append(first ? "" : ", ").append(v);
            first = false;
        }
        sb.append(']');
    }

    static void strings(StringBuilder sb, Iterable<String> values) {
        sb.append('[');
        boolean first = true;
        for (String v : values) {
            sb.append(first ? "" : ", ");
            Json.string(sb, v);
            first = false;
        }
        sb.append(']');
    }
}
