// The checks of SPEC.md section 5, as functions of the model (after the op), the
// collector's declared capabilities, what it reported and what its HeapView shows. The
// checker reads capabilities, never collector names.
#pragma once

#include "harness/engine/layer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gcfuzz/collector.hpp"
#include "harness/engine/divergence.h"
#include "model/model.h"

namespace gcfuzz {

// What a collector has reported so far, for finalizer discipline and expectations.
class CollectorHistory {
 public:
  void record(const Events& events);
  int times_finalized(ObjectId id) const {
    return id.value < finalized_.size() ? finalized_[id.value] : 0;
  }
  bool is_freed(ObjectId id) const { return id.value < freed_.size() && freed_[id.value]; }
  std::optional<std::int64_t> last_collected() const { return last_collected_; }

 private:
  std::vector<std::uint32_t> finalized_;  // by id
  std::vector<char> freed_;               // by id
  std::optional<std::int64_t> last_collected_;
};

// Items 1, 3 and 4 for one op. `before` is the history up to (not including) this op.
// The returned divergence has no collector name or op index yet.
std::optional<Divergence> check_events(const Model& model, const Capabilities& capabilities,
                                       const CollectorHistory& before, const Events& expected,
                                       const Events& observed);

// Item 2 (the graph read back through the view equals the model's) and, for collectors
// that expose reference counts, item 6: for the reachable objects, or with `whole_heap` for
// every live object (trash included, and no object the model freed). The whole heap grows
// with a leaking collector's trash, so it is checked once, at the end of a trace.
std::optional<Divergence> check_heap(const Model& model, const Capabilities& capabilities,
                                     const HeapView& view, bool whole_heap);

// The collector's whole object list (HeapView::for_each_object) after a collection: exactly
// the objects the model has not freed, reachable and trash alike. An object the model holds
// that the collector lost, or one the collector lists though it reported it freed (or the
// model freed it), is an integrity divergence, whatever AddressSanitizer sees.
std::optional<Divergence> check_object_list(const Model& model, const CollectorHistory& history,
                                            const HeapView& view);

// Item 6 for the objects the named variables hold (those an op touched): cheap enough for
// every op.
std::optional<Divergence> check_variable_refcounts(const Model& model, const HeapView& view,
                                                   const std::vector<std::string_view>& names);

// An `expect` line against what the collector reported and shows: nullopt if it holds.
std::optional<std::string> check_expectation(const Op& expectation, const CollectorHistory& history,
                                             const HeapView& view);

}  // namespace gcfuzz
