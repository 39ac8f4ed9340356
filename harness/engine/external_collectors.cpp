#include "harness/engine/external_collectors.h"

#include <algorithm>

namespace gcfuzz {
namespace {

std::vector<const CollectorInfo*>& out_of_process() {
  static std::vector<const CollectorInfo*> all;
  return all;
}

ExternalResolver& resolver() {
  static ExternalResolver r;
  return r;
}

}  // namespace

void mark_out_of_process(const CollectorInfo& collector) {
  if (!runs_out_of_process(collector)) out_of_process().push_back(&collector);
}

bool runs_out_of_process(const CollectorInfo& collector) {
  const auto& all = out_of_process();
  return std::find(all.begin(), all.end(), &collector) != all.end();
}

void set_external_resolver(ExternalResolver r) {
  resolver() = std::move(r);
}

std::vector<const CollectorInfo*> resolve_external(std::string_view pattern) {
  return resolver() ? resolver()(pattern) : std::vector<const CollectorInfo*>{};
}

}  // namespace gcfuzz
