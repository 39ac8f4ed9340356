// Every header of harness/external/ includes this first. It compiles only in code whose CMake
// target links gcfuzz_external, so that an include against the layering (a lower layer reaching
// up into this one) fails the build. The layers and what each may include: harness/README.md.
#pragma once

#ifndef GCFUZZ_LAYER_EXTERNAL
#error \
    "harness/external/ is above this code's layer: only targets that link gcfuzz_external may include it (harness/README.md)"
#endif
