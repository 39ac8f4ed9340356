// Writing model tests as steps: one .gct line and exactly the events it must produce.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>

#include "harness/trace/text.h"
#include "model/model.h"
#include "tests/printers.h"

namespace gcfuzz {

// Builds the expected events of one op: events().freed({0, 1}).finalized({0}).collected(2).
class EventsBuilder {
 public:
  EventsBuilder& freed(std::initializer_list<std::uint32_t> ids) { return add(events_.freed, ids); }
  EventsBuilder& finalized(std::initializer_list<std::uint32_t> ids) {
    return add(events_.finalized, ids);
  }
  EventsBuilder& garbage(std::initializer_list<std::uint32_t> ids) {
    return add(events_.garbage, ids);
  }
  EventsBuilder& cleared(std::initializer_list<const char*> names) {
    events_.cleared.insert(events_.cleared.end(), names.begin(), names.end());
    return *this;
  }
  EventsBuilder& callbacks(std::initializer_list<const char*> names) {
    events_.callbacks.insert(events_.callbacks.end(), names.begin(), names.end());
    return *this;
  }
  EventsBuilder& collected(std::int64_t n) {
    events_.collected = n;
    return *this;
  }
  operator Events() const {
    Events sorted = events_;
    sorted.sort();
    return sorted;
  }

 private:
  EventsBuilder& add(std::vector<ObjectId>& list, std::initializer_list<std::uint32_t> ids) {
    for (std::uint32_t id : ids) list.push_back(ObjectId{id});
    return *this;
  }
  Events events_;
};

inline EventsBuilder events() {
  return EventsBuilder();
}
inline const Events nothing{};

inline Op parse_op(std::string_view line) {
  const ParseResult r = parse_trace(line, "inline");
  if (!r.parsed || r.parsed->trace.ops.size() != 1) {
    ADD_FAILURE() << "not one op: '" << line << "' "
                  << (r.error ? r.error->to_string() : std::string());
    return Collect{};
  }
  return r.parsed->trace.ops[0];
}

// One op of a trace, as a .gct line, and exactly the events it must produce.
struct Step {
  std::string_view op;
  Events events;
};

// Applies the steps in order to `model`, checking each op's events.
inline void run_steps(Model& model, std::initializer_list<Step> steps) {
  std::size_t index = 0;
  for (const Step& step : steps) {
    const Events observed = model.apply(parse_op(step.op));
    EXPECT_EQ(observed, step.events)
        << "op " << index << " `" << step.op << "` under " << name_of(model.options().policy);
    ++index;
  }
}

inline Model model_for(Policy policy) {
  return Model(ModelOptions{.policy = policy});
}

inline ObjectId id(std::uint32_t n) {
  return ObjectId{n};
}

}  // namespace gcfuzz
