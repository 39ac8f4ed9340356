// The objects of a gcfuzz trace, as Java objects (docs/jvm.md has the whole mapping).
package gcfuzz.jvm;

/**
 * An object's public number (the N of @N). It lives apart from the object so that the
 * adapter's bookkeeping (a PhantomReference, a weak variable) can name an object without
 * holding it, and so that an object a finalizer allocated can be renumbered at the end of
 * the op (SPEC 1.2).
 */
final class Tag {
    volatile int id;

    Tag(int id) {
        this.id = id;
    }
}

/** A trace object without a finalizer: its slots, and its payload (`bytes=B`). */
class Obj {
    final Trace trace;
    final Tag tag;
    final Object[] slots;
    final byte[] payload;

    Obj(Trace trace, Tag tag, int slotCount, int payloadBytes) {
        this.trace = trace;
        this.tag = tag;
        this.slots = new Object[slotCount];
        this.payload = payloadBytes > 0 ? new byte[payloadBytes] : null;
    }
}

/** `fin=log` (and `fin=legacy`, which acts as `log` under the java policy). */
class LogObj extends Obj {
    LogObj(Trace trace, Tag tag, int slotCount, int payloadBytes) {
        super(trace, tag, slotCount, payloadBytes);
    }

    @SuppressWarnings("deprecation")
    @Override
    protected void finalize() {
        trace.finalizing(this);
    }
}

/** `fin=resurrect`: appends the object itself to `revived`. */
class ResurrectObj extends Obj {
    ResurrectObj(Trace trace, Tag tag, int slotCount, int payloadBytes) {
        super(trace, tag, slotCount, payloadBytes);
    }

    @SuppressWarnings("deprecation")
    @Override
    protected void finalize() {
        trace.finalizing(this);
        trace.revive(this);
    }
}

/**
 * `fin=alloc`: allocates a new 0-slot object without a finalizer, stored in slot 0 when the
 * object has a slot (dropping what slot 0 held), held by nothing otherwise.
 */
class AllocObj extends Obj {
    AllocObj(Trace trace, Tag tag, int slotCount, int payloadBytes) {
        super(trace, tag, slotCount, payloadBytes);
    }

    @SuppressWarnings("deprecation")
    @Override
    protected void finalize() {
        trace.finalizing(this);
        trace.allocateFor(this);
    }
}
