// Every header of harness/trace/ includes this first. It compiles only in code whose CMake
// target links gcfuzz_trace, so that an include against the layering (a lower layer reaching
// up into this one) fails the build. The layers and what each may include: harness/README.md.
#pragma once

#ifndef GCFUZZ_LAYER_TRACE
#error \
    "harness/trace/ is above this code's layer: only targets that link gcfuzz_trace may include it (harness/README.md)"
#endif
