#include "harness/engine/external_collectors.h"

#include <deque>
#include <map>

namespace gcfuzz {
namespace {

struct External {
  std::string name, summary, origin;
  CollectorInfo info;
  ExternalRun run;
};

// A deque: entries never move, so the CollectorInfo (and its string_views) stay valid.
std::deque<External>& externals() {
  static std::deque<External> all;
  return all;
}

ExternalResolver& resolver() {
  static ExternalResolver r;
  return r;
}

}  // namespace

const CollectorInfo& add_external_collector(std::string name, std::string summary,
                                            Capabilities capabilities, std::string origin,
                                            ExternalRun run) {
  for (const External& e : externals()) {
    if (e.name == name) return e.info;
  }
  External& e = externals().emplace_back();
  e.name = std::move(name);
  e.summary = std::move(summary);
  e.origin = std::move(origin);
  e.run = std::move(run);
  e.info = CollectorInfo{.name = e.name,
                         .summary = e.summary,
                         .capabilities = capabilities,
                         .mutant_of = {},
                         .make = nullptr,
                         .origin = e.origin};
  return e.info;
}

const ExternalRun* external_run(const CollectorInfo& collector) {
  for (const External& e : externals()) {
    if (&e.info == &collector) return &e.run;
  }
  return nullptr;
}

void set_external_resolver(ExternalResolver r) {
  resolver() = std::move(r);
}

const CollectorInfo* resolve_external(std::string_view pattern) {
  return resolver() ? resolver()(pattern) : nullptr;
}

}  // namespace gcfuzz
