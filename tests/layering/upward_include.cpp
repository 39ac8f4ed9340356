// A deliberate upward include: this file's target links gcfuzz_engine and nothing above it,
// yet it includes a header of harness/report/, a layer above the engine. The `layering` test
// requires this file to fail to build with report/layer.h's message (harness/README.md).
#include "harness/report/report.h"
