// A self-written stand-in for the test-only sun.hotspot.WhiteBox class, which the JDK does
// not ship. HotSpot binds the natives when registerNatives() runs, provided the VM was
// started with -XX:+UnlockDiagnosticVMOptions -XX:+WhiteBoxAPI and this class was loaded
// by the boot loader (-Xbootclasspath/a:). Only the methods declared here get bound.
package sun.hotspot;

public class WhiteBox {
    private static native void registerNatives();
    static { registerNatives(); }
    private static final WhiteBox INSTANCE = new WhiteBox();
    private WhiteBox() {}
    public static WhiteBox getWhiteBox() { return INSTANCE; }

    public native void youngGC();
    public native void fullGC();
    private native boolean isObjectInOldGen0(Object o);
    public boolean isObjectInOldGen(Object o) { return isObjectInOldGen0(o); }
    public native int getHeapOopSize();
}
