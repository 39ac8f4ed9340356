// The lockstep runner.
#include "harness/engine/runner.h"

#include <algorithm>
#include <exception>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

#include "harness/engine/external_collectors.h"
#include "harness/trace/event_format.h"

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
          c.alloc(o.var.name, o.slots.count, o.fin.kind, o.payload.bytes);
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
    : info_(info),
      judged_(info.capabilities),
      model_(model_options_for(info.capabilities)),
      collector_(info.make(observer_)) {
  const ModelOptions own{.policy = info.capabilities.policy};
  if (expectations && !(model_.options() == own)) policy_model_.emplace(own);
  if (conservative()) {
    if (counts_references(info.capabilities.policy)) {
      throw std::invalid_argument(fmt::format(
          "{}: a conservative collector must declare a tracing policy (java, boehm, lua)", info.name));
    }
    judged_.precision = Precision::exact;
    if (expectations) plain_model_.emplace(model_.options());
  }
}

std::optional<Divergence> Lane::tag(std::optional<Divergence> d, std::size_t index) const {
  if (d) {
    d->collector = std::string(info_.name);
    d->op_index = index;
  }
  return d;
}

std::optional<Divergence> Lane::step(std::size_t index, const Op& op, Events* observed_out) {
  last_collector_time_ = std::chrono::nanoseconds{0};
  if (is_expectation(op)) return tag(check_expectation_op(op), index);

  const Collect* conservative_collect = conservative() ? std::get_if<Collect>(&op) : nullptr;
  retained_now_.clear();
  Events expected;
  Events observed;
  if (conservative_collect != nullptr) {
    // It may retain trash: the collector goes first, then the model performs the collection
    // with what the collector retained pinned.
    if (std::optional<Divergence> threw = perform_on_collector(op, index)) return threw;
    if (unsupported_) return std::nullopt;
    observed = observer_.take();
    expected = apply_with_retained_pinned(*conservative_collect, observed);
  } else {
    expected = model_.apply(op);
    if (std::optional<Divergence> threw = perform_on_collector(op, index)) return threw;
    if (unsupported_) return std::nullopt;
    observed = observer_.take();
  }
  if (policy_model_) policy_model_->apply(op);
  if (plain_model_) plain_model_->apply(op);
  std::optional<Divergence> found = check_events(model_, judged_, history_, expected, observed);
  if (found && !retained_now_.empty()) {
    std::string pinned;
    for (ObjectId id : retained_now_) pinned += " " + at(id);
    found->detail += fmt::format(
        " (expected: the model with the trash the collector retained "
        "pinned as roots:{})",
        pinned);
  }
  history_.record(observed);
  if (observed_out) *observed_out = observed;
  if (!found && std::holds_alternative<Collect>(op)) {
    found = read_view([&] {
      std::optional<Divergence> d =
          check_heap(model_, info_.capabilities, collector_->view(), /*whole_heap=*/false);
      return d ? d : check_object_list(model_, history_, collector_->view());
    });
  }
  if (!found && info_.capabilities.refcounts) {
    found = read_view(
        [&] { return check_variable_refcounts(model_, collector_->view(), variable_names(op)); });
  }
  return tag(std::move(found), index);
}

std::optional<Divergence> Lane::perform_on_collector(const Op& op, std::size_t index) {
  const auto start =
      time_collector_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  try {
    perform(*collector_, op);
    if (time_collector_) last_collector_time_ = std::chrono::steady_clock::now() - start;
  } catch (const OpUnsupported& e) {
    unsupported_ = e.what();
  } catch (const CollectorTimeout& e) {
    Divergence d;
    d.check = Check::timeout;
    d.detail = e.what();
    return tag(std::move(d), index);
  } catch (const std::exception& e) {
    Divergence d;
    d.check = Check::crash;
    d.detail = fmt::format("the collector threw: {}", e.what());
    return tag(std::move(d), index);
  }
  return std::nullopt;
}

std::optional<Divergence> Lane::read_view(
    const std::function<std::optional<Divergence>()>& check) const {
  try {
    return check();
  } catch (const CollectorTimeout& e) {
    Divergence d;
    d.check = Check::timeout;
    d.detail = fmt::format("reading the heap: {}", e.what());
    return d;
  } catch (const std::exception& e) {
    Divergence d;
    d.check = Check::crash;
    d.detail = fmt::format("reading the heap, the collector threw: {}", e.what());
    return d;
  }
}

Events Lane::apply_with_retained_pinned(const Collect& collect, const Events& observed) {
  const Events planned = model_.preview(collect);
  if (planned != observed) {
    // The objects the collector reported anything about: not retained.
    std::vector<ObjectId> touched = observed.freed;
    touched.insert(touched.end(), observed.finalized.begin(), observed.finalized.end());
    for (const std::string& name : observed.cleared) {
      if (std::optional<ObjectId> referent = model_.weak_referent(name)) {
        touched.push_back(*referent);
      }
    }
    std::sort(touched.begin(), touched.end());
    auto consider = [&](ObjectId id) {
      if (!std::binary_search(touched.begin(), touched.end(), id)) retained_now_.push_back(id);
    };
    for (ObjectId id : planned.freed) consider(id);
    for (ObjectId id : planned.finalized) consider(id);
    for (const std::string& name : planned.cleared) {
      if (std::optional<ObjectId> referent = model_.weak_referent(name)) consider(*referent);
    }
    std::sort(retained_now_.begin(), retained_now_.end());
    retained_now_.erase(std::unique(retained_now_.begin(), retained_now_.end()),
                        retained_now_.end());
  }
  if (retained_now_.empty()) return model_.apply(Op{collect});

  model_.pin(retained_now_);
  const Events replayed = model_.apply(Op{collect});
  model_.unpin_all();
  retention_.objects += retained_now_.size();
  ++retention_.collections;
  std::vector<ObjectId> all;
  std::set_union(retained_ids_.begin(), retained_ids_.end(), retained_now_.begin(),
                 retained_now_.end(), std::back_inserter(all));
  retained_ids_ = std::move(all);
  return replayed;
}

std::optional<Divergence> Lane::check_expectation_op(const Op& op) {
  const PolicyFilter when = when_of(op);
  if (!when.applies_to(info_.capabilities.policy)) return std::nullopt;
  // Judged first by the model as the policy runs it exactly (for a conservative collector,
  // the one never adjusted for what it retained).
  const Model& exact = plain_model_ ? *plain_model_ : model_;
  if (std::optional<std::string> why = exact.check(op)) {
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
  // Right for the policy, but not once the trash this collector retained is pinned: the
  // retention, which is allowed, is why the collector cannot meet it.
  if (plain_model_ && model_.check(op)) {
    ++expectations_skipped_;
    return std::nullopt;
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
  if (!retained_ids_.empty()) {
    const std::vector<bool> reachable = model_.reachable();
    retention_.held_at_end = static_cast<std::size_t>(
        std::count_if(retained_ids_.begin(), retained_ids_.end(),
                      [&](ObjectId id) { return !history_.is_freed(id) && !reachable[id.value]; }));
  }
  return tag(read_view([&] {
               return check_heap(model_, info_.capabilities, collector_->view(),
                                 /*whole_heap=*/true);
             }),
             op_count);
}

}  // namespace gcfuzz
