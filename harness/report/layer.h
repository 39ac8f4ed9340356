// Every header of harness/report/ includes this first. It compiles only in code whose CMake
// target links gcfuzz_report, so that an include against the layering (a lower layer reaching
// up into this one) fails the build. The layers and what each may include: harness/README.md.
#pragma once

#ifndef GCFUZZ_LAYER_REPORT
#error \
    "harness/report/ is above this code's layer: only targets that link gcfuzz_report may include it (harness/README.md)"
#endif
