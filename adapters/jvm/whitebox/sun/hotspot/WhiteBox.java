// gcfuzz's own stand-in for HotSpot's test-only WhiteBox class, which the JDK does not ship:
// only the entry points the adapter uses. HotSpot binds them when registerNatives() runs,
// provided the VM was started with -XX:+UnlockDiagnosticVMOptions -XX:+WhiteBoxAPI and this
// class was loaded by the boot loader (-Xbootclasspath/a:). The VM warns, on its output
// stream, about every WhiteBox native this class does not declare; the adapter starts the VM
// with -XX:+DisplayVMOutputToStderr so that those warnings never reach the protocol's stdout.
// Measured in adapters/jvm/probes/FINDINGS.md, Q8.
package sun.hotspot;

public class WhiteBox {
    private static native void registerNatives();

    static {
        registerNatives();
    }

    private static final WhiteBox INSTANCE = new WhiteBox();

    private WhiteBox() {}

    public static WhiteBox getWhiteBox() {
        return INSTANCE;
    }

    /** One young collection, synchronous. */
    public native void youngGC();

    /** One full collection, synchronous. */
    public native void fullGC();

    private native boolean isObjectInOldGen0(Object o);

    public boolean isObjectInOldGen(Object o) {
        return isObjectInOldGen0(o);
    }
}
