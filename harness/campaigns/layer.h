// Every header of harness/campaigns/ includes this first. It compiles only in code whose CMake
// target links gcfuzz_campaigns, so that an include against the layering (a lower layer reaching
// up into this one) fails the build. The layers and what each may include: harness/README.md.
#pragma once

#ifndef GCFUZZ_LAYER_CAMPAIGNS
#error \
    "harness/campaigns/ is above this code's layer: only targets that link gcfuzz_campaigns may include it (harness/README.md)"
#endif
