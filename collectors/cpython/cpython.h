// The embedded CPython 3.11 collector, `cpython-3.11:pep442`: the real interpreter
// (libpython3.11) runs every trace; gcfuzz only translates ops into C API calls and reads
// events off the hooks of its own object types.
//
// What is CPython's and what is the adapter's:
// - Objects are instances of five C types with GC support (one per finalizer kind): their
//   slots are strong references that tp_traverse visits and tp_clear releases. `log`,
//   `resurrect` and `alloc` are tp_finalize (PEP 442: CPython runs it at most once);
//   `legacy` is tp_del (CPython sets such objects aside in gc.garbage).
// - Reference counting, cascades, finalizer order, weak reference clearing and callbacks,
//   gc.collect(), gc.collect(0), gc.garbage and the FINALIZED mark are CPython's.
// - The adapter owns the roots (variables hold real references, `revived` is a real list,
//   `garbage` is gc.garbage) and reports: `freed` from tp_dealloc, `finalized` from
//   tp_finalize and tp_del, `callbacks` from the weak references' callbacks, `cleared` by
//   reading each weak variable after the op, `garbage` by reading gc.garbage after a
//   collection, `collected` from gc.collect()'s result.
//
// The interpreter is initialized once per process (automatic collection disabled, its own
// start-up objects frozen out of every later collection). Each collector instance (one per
// trace) starts from a clean state and leaves one: its destructor breaks every reference
// its objects hold and verifies that none survives.
#pragma once

#include <cstddef>

namespace gcfuzz::cpython {

// Objects of the adapter's types alive in this process, of every instance. Zero between
// traces.
std::size_t live_objects();

}  // namespace gcfuzz::cpython
