// The lockstep runner.
#include "harness/runner.h"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

namespace gcfuzz {

ModelOptions model_options_for(const Capabilities& capabilities) {
  return ModelOptions{.policy = capabilities.policy,
                      .collects_cycles = capabilities.collects_cycles,
                      .generational = capabilities.generational};
}

void RecordingObserver::renumbered(ObjectId provisional, ObjectId final) {
  for (auto* list : {&events_.freed, &events_.finalized, &events_.garbage}) {
    std::replace(list->begin(), list->end(), provisional, final);
  }
}

Events RecordingObserver::take() {
  Events e = std::move(events_);
  events_ = Events{};
  e.sort();
  return e;
}

void perform(Collector& c, const Op& op) {
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Alloc>) {
          c.alloc(o.var.name, o.slots.count, o.fin.kind);
        } else if constexpr (std::is_same_v<T, Link>) {
          c.link(o.target.name, o.slot.index, o.source.name);
        } else if constexpr (std::is_same_v<T, Unlink>) {
          c.unlink(o.target.name, o.slot.index);
        } else if constexpr (std::is_same_v<T, Load>) {
          c.load(o.var.name, o.source.name, o.slot.index);
        } else if constexpr (std::is_same_v<T, Copy>) {
          c.copy(o.var.name, o.source.name);
        } else if constexpr (std::is_same_v<T, Drop>) {
          c.drop(o.var.name);
        } else if constexpr (std::is_same_v<T, Weak>) {
          c.weak(o.weak.name, o.var.name, o.callback.on);
        } else if constexpr (std::is_same_v<T, Deref>) {
          c.deref(o.var.name, o.weak.name);
        } else if constexpr (std::is_same_v<T, Collect>) {
          c.collect(o.young.on);
        } else if constexpr (std::is_same_v<T, Clear>) {
          c.clear(o.list.list);
        } else {
          static_assert(ExpectOp<T>, "every mutator op must reach the collector");
        }
      },
      op);
}

Lane::Lane(const CollectorInfo& info, bool expectations)
    : info_(info), model_(model_options_for(info.capabilities)), collector_(info.make(observer_)) {
  const ModelOptions own{.policy = info.capabilities.policy};
  if (expectations && !(model_.options() == own)) policy_model_.emplace(own);
}

std::optional<Divergence> Lane::tag(std::optional<Divergence> d, std::size_t index) const {
  if (d) {
    d->collector = std::string(info_.name);
    d->op_index = index;
  }
  return d;
}

std::optional<Divergence> Lane::step(std::size_t index, const Op& op, Events* observed_out) {
  if (is_expectation(op)) return tag(check_expectation_op(op), index);

  const Events expected = model_.apply(op);
  if (policy_model_) policy_model_->apply(op);
  try {
    perform(*collector_, op);
  } catch (const std::exception& e) {
    Divergence d;
    d.check = Check::crash;
    d.detail = fmt::format("the collector threw: {}", e.what());
    return tag(std::move(d), index);
  }
  const Events observed = observer_.take();
  std::optional<Divergence> found =
      check_events(model_, info_.capabilities, history_, expected, observed);
  history_.record(observed);
  if (observed_out) *observed_out = observed;
  if (!found && std::holds_alternative<Collect>(op)) {
    found = check_heap(model_, info_.capabilities, collector_->view(), /*whole_heap=*/false);
  }
  if (!found && info_.capabilities.refcounts) {
    found = check_variable_refcounts(model_, collector_->view(), variable_names(op));
  }
  return tag(std::move(found), index);
}

std::optional<Divergence> Lane::check_expectation_op(const Op& op) {
  const PolicyFilter when = when_of(op);
  if (!when.applies_to(info_.capabilities.policy)) return std::nullopt;
  if (std::optional<std::string> why = model_.check(op)) {
    // The model, reduced to this collector's capabilities, does not meet the expectation. If
    // the policy's own model does, it was written for a collector that can do more: skip it.
    // Otherwise it is a failure of the trace (or of the model).
    if (policy_model_) {
      why = policy_model_->check(op);
      if (!why) {
        ++expectations_skipped_;
        return std::nullopt;
      }
    }
    Divergence d;
    d.check = Check::expectation;
    d.detail =
        fmt::format("the reference model ({}): {}", name_of(info_.capabilities.policy), *why);
    return d;
  }
  ++expectations_checked_;
  if (const std::optional<std::string> why = check_expectation(op, history_, collector_->view())) {
    Divergence d;
    d.check = Check::expectation;
    d.detail = *why;
    return d;
  }
  return std::nullopt;
}

std::optional<Divergence> Lane::finish(std::size_t op_count) {
  return tag(check_heap(model_, info_.capabilities, collector_->view(), /*whole_heap=*/true),
             op_count);
}

}  // namespace gcfuzz
