// The reference model: SPEC.md sections 1-4 as code.
#include "model/model.h"

#include <algorithm>
#include <stdexcept>

namespace gcfuzz {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;  // clang 14 does not deduce aggregates' arguments

// Finalizers that PEP 442 runs at most once (tp_finalize); `legacy` is tp_del.
bool has_pep442_finalizer(Finalizer f) {
  return f == Finalizer::log || f == Finalizer::resurrect || f == Finalizer::alloc;
}

}  // namespace

Model::Model(ModelOptions options) : options_(options) {}

// ---- Ops ----

Events Model::apply(const Op& op) {
  fired_ = RuleSet{};
  std::visit(Overloaded{
                 [&](const Alloc& o) { alloc(o); }, [&](const Link& o) { link(o); },
                 [&](const Unlink& o) { unlink(o); }, [&](const Load& o) { load(o); },
                 [&](const Copy& o) { copy(o); }, [&](const Drop& o) { drop(o); },
                 [&](const Weak& o) { weak(o); }, [&](const Deref& o) { deref(o); },
                 [&](const Collect& o) { collect(o); }, [&](const Clear& o) { clear(o); },
                 [&](const auto&) {},  // expectations change nothing
             },
             op);
  settle_numbering();
  return take_events();
}

void Model::alloc(const Alloc& op) {
  const Handle h = new_object(op.slots.count, op.fin.kind, kNull);
  objects_[h].payload = op.payload.bytes;
  set_variable(op.var.name, h);
  drain_deaths();
}

void Model::link(const Link& op) {
  const Handle target = lookup(op.target.name);
  const Handle source = lookup(op.source.name);
  if (target == kNull || source == kNull) return fire(Rule::noop_unbound_source);
  Object& t = objects_[target];
  if (op.slot.index >= static_cast<int>(t.slots.size())) {
    return fire(Rule::noop_slot_out_of_range);
  }
  const Handle old = t.slots[op.slot.index];
  incref(source);
  t.slots[op.slot.index] = source;
  if (old != kNull) decref(old);
  drain_deaths();
}

void Model::unlink(const Unlink& op) {
  const Handle target = lookup(op.target.name);
  if (target == kNull) return fire(Rule::noop_unbound_source);
  Object& t = objects_[target];
  if (op.slot.index >= static_cast<int>(t.slots.size())) {
    return fire(Rule::noop_slot_out_of_range);
  }
  const Handle old = t.slots[op.slot.index];
  t.slots[op.slot.index] = kNull;
  if (old != kNull) decref(old);
  drain_deaths();
}

void Model::load(const Load& op) {
  const Handle source = lookup(op.source.name);
  if (source == kNull) return fire(Rule::noop_unbound_source);
  const Object& s = objects_[source];
  if (op.slot.index >= static_cast<int>(s.slots.size())) {
    return fire(Rule::noop_slot_out_of_range);
  }
  if (s.slots[op.slot.index] == kNull) fire(Rule::null_from_empty_slot_or_cleared_weak);
  set_variable(op.var.name, s.slots[op.slot.index]);
  drain_deaths();
}

void Model::copy(const Copy& op) {
  const Handle source = lookup(op.source.name);
  if (source == kNull) return fire(Rule::noop_unbound_source);
  set_variable(op.var.name, source);
  drain_deaths();
}

void Model::drop(const Drop& op) {
  if (auto it = weak_.find(op.var.name); it != weak_.end()) {
    if (it->second.referent != kNull) --objects_[it->second.referent].weak_count;
    weak_.erase(it);
    if (variables_.contains(op.var.name)) fire(Rule::drop_weak_and_strong);
  }
  set_variable(op.var.name, kNull);
  drain_deaths();
}

void Model::weak(const Weak& op) {
  const Handle referent = lookup(op.var.name);
  if (referent == kNull) return fire(Rule::noop_unbound_source);
  if (weak_.contains(op.weak.name)) fire(Rule::weak_rebound);
  WeakVariable& w = weak_[op.weak.name];
  if (w.referent != kNull) --objects_[w.referent].weak_count;
  w = WeakVariable{referent, op.callback.on};
  ++objects_[referent].weak_count;
}

void Model::deref(const Deref& op) {
  auto it = weak_.find(op.weak.name);
  if (it == weak_.end()) return fire(Rule::noop_unbound_source);
  if (it->second.referent == kNull) fire(Rule::null_from_empty_slot_or_cleared_weak);
  set_variable(op.var.name, it->second.referent);
  drain_deaths();
}

void Model::collect(const Collect& op) {
  if (!options_.collects_cycles) {
    // A collector without cycle collection has nothing to do here.
    fire(Rule::collect_without_cycles);
    events_.collected = 0;
    last_collected_ = 0;
    return;
  }
  const bool young = op.young.on && options_.generational;
  if (young) fire(Rule::young_collection);
  switch (options_.policy) {
    case Policy::pep442:
    case Policy::pep442_whole:
      collect_pep442(young);
      break;
    case Policy::legacy:
      collect_legacy(young);
      break;
    case Policy::java:
    case Policy::boehm:
    case Policy::lua:
      collect_tracing(young);
      break;
  }
  last_collected_ = events_.collected;
}

void Model::clear(const Clear& op) {
  std::vector<Handle> released;
  released.swap(op.list.list == RootList::revived ? revived_ : garbage_);
  if (!released.empty()) {
    fire(op.list.list == RootList::revived ? Rule::revived_cleared : Rule::garbage_cleared);
  }
  for (Handle h : released) decref(h);
  drain_deaths();
}

// ---- Reference counting and refcount deaths ----

Model::Handle Model::new_object(int slots, Finalizer fin, Handle creator) {
  const Handle h = static_cast<Handle>(objects_.size());
  Object& o = objects_.emplace_back();
  o.slots.assign(slots, kNull);
  o.fin = fin;
  o.creator = creator;
  o.live_index = live_.size();
  live_.push_back(h);
  if (creator == kNull) {
    o.id = ObjectId{static_cast<std::uint32_t>(handle_of_id_.size())};
    o.numbered = true;
    handle_of_id_.push_back(h);
  } else {
    unnumbered_.push_back(h);
  }
  return h;
}

Model::Handle Model::lookup(std::string_view variable) const {
  auto it = variables_.find(std::string(variable));
  return it == variables_.end() ? kNull : it->second;
}

// The new value is referenced before the old one is released, as CPython stores.
void Model::set_variable(const std::string& name, Handle value) {
  Handle old = kNull;
  if (auto it = variables_.find(name); it != variables_.end()) old = it->second;
  if (value != kNull) {
    incref(value);
    variables_[name] = value;
  } else {
    variables_.erase(name);
  }
  if (old != kNull) decref(old);
}

void Model::incref(Handle h) {
  ++objects_[h].refcount;
}

// Deaths are queued and handled by drain_deaths(): a work list instead of recursion, so a
// long chain cascades without deepening the stack. The order of deaths inside one cascade
// does not change an op's events (they are sets), but every cascade completes before the
// caller goes on, as in CPython. Under the tracing policies nothing dies between
// collections: the count is kept only for `expect refcount` and the checker.
void Model::decref(Handle h) {
  Object& o = objects_[h];
  --o.refcount;
  if (o.refcount == 0 && counts_references(options_.policy)) pending_deaths_.push_back(h);
}

void Model::drain_deaths() {
  while (!pending_deaths_.empty()) {
    const Handle h = pending_deaths_.back();
    pending_deaths_.pop_back();
    if (options_.policy == Policy::legacy) {
      die_legacy(h);
    } else {
      die_pep442(h);
    }
  }
}

// SPEC.md 3.1, "Refcount death", steps 1-5.
void Model::die_pep442(Handle h) {
  Object& o = objects_[h];
  o.died_in = collection_;
  // 1-2. A finalizer that never ran runs now, and may resurrect the object.
  if (has_pep442_finalizer(o.fin)) {
    if (o.times_finalized > 0) {
      fire(Rule::finalized_once);
    } else if (finalize_dying(h)) {
      return;
    }
  }
  // 3. Weak references are cleared, then their callbacks run.
  if (clear_weak_references_to(h)) fire(Rule::refcount_weak_cleared);
  // 4. A legacy finalizer runs on every death; it cannot resurrect.
  if (o.fin == Finalizer::legacy) {
    ++o.times_finalized;
    events_.finalized.push_back(h);
  }
  // 5. Slots are released (cascading through the work list), then the object is freed.
  die_freed(h);
}

// SPEC.md 3.3, "Refcount death": weak references first, then any finalizer, every time.
void Model::die_legacy(Handle h) {
  Object& o = objects_[h];
  o.died_in = collection_;
  if (clear_weak_references_to(h)) fire(Rule::refcount_weak_cleared);
  if (o.fin != Finalizer::none) {
    if (o.times_finalized > 0) fire(Rule::legacy_finalizer_runs_again);
    if (finalize_dying(h)) return;
  }
  die_freed(h);
}

// Runs a dying object's finalizer, holding the object meanwhile; true if the finalizer
// resurrected it (its count is above 0 again), which ends the death.
bool Model::finalize_dying(Handle h) {
  Object& o = objects_[h];
  o.refcount = 1;
  fire(Rule::refcount_finalizer);
  run_finalizer(h);
  --o.refcount;
  if (o.refcount == 0) return false;
  resurrected_on_refcount_path(h);
  return true;
}

void Model::resurrected_on_refcount_path(Handle h) {
  fire(Rule::refcount_resurrection);
  objects_[h].age = 0;  // CPython tracks a resurrected object again, as if new
  if (options_.generational && options_.collects_cycles) fire(Rule::resurrected_young_again);
}

// The end of a refcount death: the object is freed and its slots released, which may queue
// more deaths (a cascade).
void Model::die_freed(Handle h) {
  fire(Rule::refcount_death);
  const std::size_t queued = pending_deaths_.size();
  free_object(h);
  if (pending_deaths_.size() > queued) fire(Rule::refcount_cascade);
}

// Marks the object finalized and performs its finalizer's effect (SPEC.md section 1).
// The caller holds a reference to `h` for the duration.
void Model::run_finalizer(Handle h) {
  ++objects_[h].times_finalized;
  events_.finalized.push_back(h);
  switch (objects_[h].fin) {
    case Finalizer::none:
    case Finalizer::log:
    case Finalizer::legacy:
      break;
    case Finalizer::resurrect:
      revived_.push_back(h);
      incref(h);
      break;
    case Finalizer::alloc: {
      const Handle fresh = new_object(0, Finalizer::none, h);
      Object& o = objects_[h];
      if (o.slots.empty()) {
        fire(Rule::alloc_finalizer_without_slots);
        // The finalizer's only reference goes away: the new object dies at once under
        // reference counting, and is trash until the next collection under tracing.
        if (counts_references(options_.policy)) pending_deaths_.push_back(fresh);
        break;
      }
      const Handle old = o.slots[0];
      o.slots[0] = fresh;
      incref(fresh);
      if (old != kNull) decref(old);
      break;
    }
  }
}

void Model::free_object(Handle h) {
  Object& o = objects_[h];
  o.freed = true;
  events_.freed.push_back(h);
  const Handle moved = live_.back();
  live_[o.live_index] = moved;
  objects_[moved].live_index = o.live_index;
  live_.pop_back();
  for (Handle& slot : o.slots) {
    const Handle target = slot;
    slot = kNull;
    if (target != kNull) decref(target);
  }
}

bool Model::clear_weak_references_to(Handle h) {
  if (objects_[h].weak_count == 0) return false;
  std::vector<std::string> with_callback;
  for (auto& [name, w] : weak_) {
    if (w.referent != h) continue;
    w.referent = kNull;
    events_.cleared.push_back(name);
    if (w.callback) with_callback.push_back(name);
  }
  objects_[h].weak_count = 0;
  if (!with_callback.empty()) fire(Rule::weak_callback);
  for (auto& name : with_callback) events_.callbacks.push_back(std::move(name));
  return true;
}

// ---- Collections ----

// SPEC.md 3.1 (pep442) and 3.2 (pep442-whole), steps 1-6.
void Model::collect_pep442(bool young) {
  ++collection_;
  const std::vector<Handle> examined = generation(young);
  // 1. U: the trash among the examined objects.
  bool old_to_young = false;
  const std::vector<Handle> trash = unreachable_within(examined, young ? &old_to_young : nullptr);
  if (old_to_young) fire(Rule::young_old_to_young_root);
  // 2. L: legacy finalizers and what they reach in U, set aside.
  std::vector<Handle> legacy = legacy_closure(trash);
  if (!legacy.empty()) fire(Rule::legacy_set_aside);
  const HandleSet in_legacy(legacy.begin(), legacy.end());
  std::vector<Handle> collectable;  // U'
  for (Handle h : trash) {
    if (!in_legacy.contains(h)) collectable.push_back(h);
  }
  sort_by_id(collectable);
  // 3. Weak references into U' are cleared, callbacks run, before any finalizer.
  const bool cleared = clear_weak_references_into(collectable);
  // 4. Finalizers of U' that never ran, in id order, each holding its object. Deaths they
  //    cause happen at once, by the refcount rule.
  for (Handle h : collectable) {
    Object& o = objects_[h];
    if (o.died_in == collection_ || !has_pep442_finalizer(o.fin)) continue;
    if (o.times_finalized > 0) {
      fire(Rule::finalized_once);
      continue;
    }
    fire(Rule::collection_finalizer);
    if (cleared) fire(Rule::weak_cleared_before_finalizer);
    incref(h);
    run_finalizer(h);
    drain_deaths();
    decref(h);
    drain_deaths();
  }
  // 5. What died by refcount has left U'. The rest is freed unless a finalizer made it
  //    reachable again: per object (pep442), or all or nothing (pep442-whole).
  std::vector<Handle> remaining;
  for (Handle h : collectable) {
    if (objects_[h].died_in != collection_) {
      remaining.push_back(h);
    } else {
      fire(Rule::died_by_refcount_in_collection);
    }
  }
  std::vector<Handle> doomed = unreachable_within(remaining);
  if (doomed.size() != remaining.size()) {
    fire(Rule::collection_resurrection);
    if (options_.policy == Policy::pep442_whole) {
      fire(Rule::whole_resurrection_frees_nothing);
      doomed.clear();
    }
  }
  if (!doomed.empty()) fire(Rule::collection_frees_trash);
  free_set(doomed);
  // 6. What is left of L is uncollectable: its legacy finalizers go to `garbage`.
  std::int64_t uncollectable = 0;
  sort_by_id(legacy);
  for (Handle h : legacy) {
    if (objects_[h].died_in == collection_) {
      fire(Rule::legacy_member_died_by_refcount);
      continue;
    }
    ++uncollectable;
    if (has_legacy_finalizer(objects_[h])) {
      fire(Rule::garbage_appended);
      garbage_.push_back(h);
      incref(h);
      events_.garbage.push_back(h);
    }
  }
  events_.collected = static_cast<std::int64_t>(doomed.size()) + uncollectable;
  age_generation(examined, young);
}

// SPEC.md 3.3: no finalizer runs in a collection; whatever has one is set aside.
void Model::collect_legacy(bool young) {
  ++collection_;
  const std::vector<Handle> examined = generation(young);
  bool old_to_young = false;
  const std::vector<Handle> trash = unreachable_within(examined, young ? &old_to_young : nullptr);
  if (old_to_young) fire(Rule::young_old_to_young_root);
  std::vector<Handle> legacy = legacy_closure(trash);
  if (!legacy.empty()) fire(Rule::legacy_set_aside);
  const HandleSet in_legacy(legacy.begin(), legacy.end());
  std::vector<Handle> collectable;
  for (Handle h : trash) {
    if (!in_legacy.contains(h)) collectable.push_back(h);
  }
  clear_weak_references_into(collectable);
  if (!collectable.empty()) fire(Rule::collection_frees_trash);
  free_set(collectable);  // an object of L held only by U' dies here by refcount
  std::int64_t uncollectable = 0;
  sort_by_id(legacy);
  for (Handle h : legacy) {
    if (objects_[h].died_in == collection_) {
      fire(Rule::legacy_member_died_by_refcount);
      continue;
    }
    ++uncollectable;
    if (has_legacy_finalizer(objects_[h])) {
      fire(Rule::garbage_appended);
      garbage_.push_back(h);
      incref(h);
      events_.garbage.push_back(h);
    }
  }
  events_.collected = static_cast<std::int64_t>(collectable.size()) + uncollectable;
  age_generation(examined, young);
}

// SPEC.md 3.4 (java), 3.5 (boehm) and 3.6 (lua): no reference counts, finalize once. Finalizable
// trash and everything it reaches survive this collection; the rest is freed; then the
// finalizers run. Under boehm only the finalizable objects that no finalizable object
// reaches are finalized now (one link of a chain per collection; a finalization cycle,
// a self-loop included, never).
//
// Steps 1-4 decide everything before anything changes (plan_tracing), so that `preview` can
// tell a collection's events without performing it.
Model::TracingPlan Model::plan_tracing(bool young) const {
  TracingPlan plan;
  plan.examined = generation(young);
  // 1. U: the trash. (Weak references into U are cleared first, callbacks run.)
  plan.trash = unreachable_within(plan.examined, young ? &plan.old_to_young_roots : nullptr);
  // 2. F: trash with a finalizer that never ran (`legacy` acts as `log`).
  std::vector<Handle> finalizable;
  for (Handle h : plan.trash) {
    const Object& o = objects_[h];
    if (o.fin != Finalizer::none && o.times_finalized == 0) finalizable.push_back(h);
  }
  plan.finalizable = finalizable.size();
  // 3. K: F and what it reaches in U survive; the rest of U is freed.
  const HandleSet in_trash(plan.trash.begin(), plan.trash.end());
  const HandleSet kept = closure_within(in_trash, finalizable, /*from_contents=*/false);
  for (Handle h : plan.trash) {
    if (!kept.contains(h)) plan.doomed.push_back(h);
  }
  // 4. Finalizers run, in id order: all of F (java), or what no object of F reaches (boehm).
  if (options_.policy == Policy::boehm) {
    const HandleSet reached_by_finalizable =
        closure_within(in_trash, finalizable, /*from_contents=*/true);
    for (Handle h : finalizable) {
      if (!reached_by_finalizable.contains(h)) plan.finalize_now.push_back(h);
    }
  } else {
    plan.finalize_now = std::move(finalizable);
  }
  sort_by_id(plan.finalize_now);
  return plan;
}

void Model::collect_tracing(bool young) {
  ++collection_;
  const TracingPlan plan = plan_tracing(young);
  if (plan.old_to_young_roots) fire(Rule::young_old_to_young_root);
  const bool cleared = clear_weak_references_into(plan.trash);
  if (cleared) fire(Rule::tracing_weak_cleared);
  if (cleared && !plan.finalize_now.empty()) fire(Rule::weak_cleared_before_finalizer);
  const std::size_t kept = plan.trash.size() - plan.doomed.size();  // |K|
  if (kept > 0) fire(Rule::tracing_kept_for_finalizer);
  if (kept > plan.finalizable) fire(Rule::tracing_kept_reachable_from_finalizable);
  if (plan.finalize_now.size() < plan.finalizable) {
    fire(plan.finalize_now.empty() ? Rule::boehm_finalization_cycle
                                   : Rule::boehm_chain_link_deferred);
  }
  for (Handle h : plan.doomed) {
    if (objects_[h].times_finalized > 0) fire(Rule::finalized_once);
  }
  if (!plan.doomed.empty()) fire(Rule::tracing_trash_freed);
  free_set(plan.doomed);
  for (Handle h : plan.finalize_now) {
    fire(Rule::tracing_finalizer);
    if (objects_[h].fin == Finalizer::resurrect) fire(Rule::tracing_resurrection);
    run_finalizer(h);
  }
  events_.collected = static_cast<std::int64_t>(plan.doomed.size());
  age_generation(plan.examined, young);
}

Events Model::preview(const Collect& op) const {
  if (counts_references(options_.policy)) {
    throw std::logic_error("preview: collections under this policy are not planned ahead");
  }
  Events e;
  e.collected = 0;
  if (!options_.collects_cycles) return e;
  const TracingPlan plan = plan_tracing(op.young.on && options_.generational);
  const HandleSet in_trash(plan.trash.begin(), plan.trash.end());
  for (const auto& [name, w] : weak_) {
    if (w.referent == kNull || !in_trash.contains(w.referent)) continue;
    e.cleared.push_back(name);
    if (w.callback && options_.policy != Policy::lua) e.callbacks.push_back(name);
  }
  for (Handle h : plan.doomed) e.freed.push_back(objects_[h].id);
  for (Handle h : plan.finalize_now) e.finalized.push_back(objects_[h].id);
  e.collected = static_cast<std::int64_t>(plan.doomed.size());
  e.sort();
  return e;
}

// What `seeds` reach within `set` (following slots): the seeds themselves included, or, with
// `from_contents`, only what is reached through one or more references.
Model::HandleSet Model::closure_within(const HandleSet& set, const std::vector<Handle>& seeds,
                                       bool from_contents) const {
  HandleSet reached;
  std::vector<Handle> work;
  for (Handle h : seeds) {
    if (!from_contents) {
      work.push_back(h);
      continue;
    }
    for (Handle t : objects_[h].slots) {
      if (t != kNull && set.contains(t)) work.push_back(t);
    }
  }
  while (!work.empty()) {
    const Handle h = work.back();
    work.pop_back();
    if (!reached.insert(h).second) continue;
    for (Handle t : objects_[h].slots) {
      if (t != kNull && set.contains(t) && !reached.contains(t)) work.push_back(t);
    }
  }
  return reached;
}

// The objects a collection examines: all live ones, or the young ones (SPEC.md section 4).
std::vector<Model::Handle> Model::generation(bool young) const {
  std::vector<Handle> result;
  for (Handle h : live_) {
    if (!young || objects_[h].age < kOld) result.push_back(h);
  }
  return result;
}

// The objects of `set` that nothing outside `set` reaches: neither a root nor a live object
// that is not in `set`. (For the young set, references from old objects count as roots.)
std::vector<Model::Handle> Model::unreachable_within(const std::vector<Handle>& set,
                                                     bool* from_outside) const {
  const HandleSet member(set.begin(), set.end());
  HandleSet reached;
  std::vector<Handle> work;
  for (Handle h : root_handles()) {
    if (member.contains(h)) work.push_back(h);
  }
  for (Handle h : live_) {
    if (member.contains(h)) continue;
    for (Handle t : objects_[h].slots) {
      if (t != kNull && member.contains(t)) {
        work.push_back(t);
        if (from_outside) *from_outside = true;
      }
    }
  }
  while (!work.empty()) {
    const Handle h = work.back();
    work.pop_back();
    if (!reached.insert(h).second) continue;
    for (Handle t : objects_[h].slots) {
      if (t != kNull && member.contains(t) && !reached.contains(t)) work.push_back(t);
    }
  }
  std::vector<Handle> result;
  for (Handle h : set) {
    if (!reached.contains(h)) result.push_back(h);
  }
  return result;
}

bool Model::has_legacy_finalizer(const Object& o) const {
  return options_.policy == Policy::legacy ? o.fin != Finalizer::none : o.fin == Finalizer::legacy;
}

// L: the objects of `trash` with a legacy finalizer, and every object of `trash` they reach.
std::vector<Model::Handle> Model::legacy_closure(const std::vector<Handle>& trash) const {
  const HandleSet in_trash(trash.begin(), trash.end());
  HandleSet in_closure;
  std::vector<Handle> work, closure;
  for (Handle h : trash) {
    if (has_legacy_finalizer(objects_[h])) work.push_back(h);
  }
  while (!work.empty()) {
    const Handle h = work.back();
    work.pop_back();
    if (!in_closure.insert(h).second) continue;
    closure.push_back(h);
    for (Handle t : objects_[h].slots) {
      if (t != kNull && in_trash.contains(t) && !in_closure.contains(t)) work.push_back(t);
    }
  }
  return closure;
}

bool Model::clear_weak_references_into(const std::vector<Handle>& set) {
  const HandleSet member(set.begin(), set.end());
  std::vector<std::string> with_callback;
  bool any = false;
  for (auto& [name, w] : weak_) {
    if (w.referent == kNull || !member.contains(w.referent)) continue;
    --objects_[w.referent].weak_count;
    w.referent = kNull;
    events_.cleared.push_back(name);
    any = true;
    if (!w.callback) continue;
    // Lua has no weak-reference callbacks (SPEC.md 3.6): `cb` is accepted and never runs.
    if (options_.policy == Policy::lua) {
      fire(Rule::lua_callback_ignored);
    } else {
      with_callback.push_back(name);
    }
  }
  if (!with_callback.empty()) fire(Rule::weak_callback);
  for (auto& name : with_callback) events_.callbacks.push_back(std::move(name));
  return any;
}

// Frees every object of `set` whatever its count; references from the set to objects
// outside it are released, and those objects may die by refcount.
void Model::free_set(const std::vector<Handle>& set) {
  const HandleSet member(set.begin(), set.end());
  for (Handle h : set) {
    for (Handle& slot : objects_[h].slots) {
      if (slot != kNull && member.contains(slot)) slot = kNull;
    }
  }
  for (Handle h : set) free_object(h);
  drain_deaths();
}

// Survivors of a collection become old, except objects re-tracked during it (resurrected on
// the refcount path); objects allocated during it were not examined and stay young. Under
// `lua` (SPEC.md 3.6) a young collection only ages its survivors by one: old after two.
void Model::age_generation(const std::vector<Handle>& examined, bool young) {
  const bool one_step = young && options_.policy == Policy::lua;
  bool still_young = false;
  for (Handle h : examined) {
    Object& o = objects_[h];
    if (o.freed || o.died_in == collection_) continue;
    o.age = one_step ? static_cast<std::uint8_t>(o.age + 1) : kOld;
    still_young = still_young || o.age < kOld;
  }
  if (still_young) fire(Rule::lua_survivor_stays_young);
}

void Model::sort_by_id(std::vector<Handle>& handles) const {
  std::sort(handles.begin(), handles.end(),
            [&](Handle a, Handle b) { return objects_[a].id < objects_[b].id; });
}

// SPEC.md section 1, "Numbering": objects that finalizers allocated during this op are
// numbered now, in the order of their creators' ids.
void Model::settle_numbering() {
  if (unnumbered_.empty()) return;
  fire(Rule::finalizer_allocation_numbered);
  std::sort(unnumbered_.begin(), unnumbered_.end(), [&](Handle a, Handle b) {
    return objects_[objects_[a].creator].id < objects_[objects_[b].creator].id;
  });
  for (Handle h : unnumbered_) {
    objects_[h].id = ObjectId{static_cast<std::uint32_t>(handle_of_id_.size())};
    objects_[h].numbered = true;
    handle_of_id_.push_back(h);
  }
  unnumbered_.clear();
}

Events Model::take_events() {
  Events e;
  auto ids = [&](const std::vector<Handle>& hs) {
    std::vector<ObjectId> out;
    out.reserve(hs.size());
    for (Handle h : hs) out.push_back(objects_[h].id);
    return out;
  };
  e.freed = ids(events_.freed);
  e.finalized = ids(events_.finalized);
  e.garbage = ids(events_.garbage);
  e.cleared = std::move(events_.cleared);
  e.callbacks = std::move(events_.callbacks);
  e.collected = events_.collected;
  events_ = PendingEvents{};
  e.sort();
  return e;
}

// ---- Queries ----

const Model::Object& Model::object(ObjectId id) const {
  if (id.value >= handle_of_id_.size()) {
    throw std::out_of_range("no object @" + std::to_string(id.value) + " yet");
  }
  return objects_[handle_of_id_[id.value]];
}

std::vector<std::optional<ObjectId>> Model::slots(ObjectId id) const {
  std::vector<std::optional<ObjectId>> result;
  for (Handle t : object(id).slots) {
    result.push_back(t == kNull ? std::nullopt : std::optional(objects_[t].id));
  }
  return result;
}

std::optional<ObjectId> Model::variable(std::string_view name) const {
  const Handle h = lookup(name);
  return h == kNull ? std::nullopt : std::optional(objects_[h].id);
}

std::optional<ObjectId> Model::weak_referent(std::string_view weak_variable) const {
  auto it = weak_.find(std::string(weak_variable));
  if (it == weak_.end() || it->second.referent == kNull) return std::nullopt;
  return objects_[it->second.referent].id;
}

std::vector<ObjectId> Model::garbage() const {
  std::vector<ObjectId> ids;
  for (Handle h : garbage_) ids.push_back(objects_[h].id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<ObjectId> Model::revived() const {
  std::vector<ObjectId> ids;
  for (Handle h : revived_) ids.push_back(objects_[h].id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<Model::Handle> Model::root_handles() const {
  std::vector<Handle> roots;
  roots.reserve(variables_.size() + revived_.size() + garbage_.size() + pinned_.size());
  for (const auto& [name, h] : variables_) roots.push_back(h);
  roots.insert(roots.end(), revived_.begin(), revived_.end());
  roots.insert(roots.end(), garbage_.begin(), garbage_.end());
  roots.insert(roots.end(), pinned_.begin(), pinned_.end());
  return roots;
}

void Model::pin(const std::vector<ObjectId>& ids) {
  if (counts_references(options_.policy)) {
    throw std::logic_error("pin: objects die by reference count under this policy");
  }
  for (ObjectId id : ids) {
    if (object(id).freed) throw std::logic_error("pin: @" + std::to_string(id.value) + " is freed");
    pinned_.push_back(handle_of_id_[id.value]);
  }
}

std::vector<bool> Model::reachable() const {
  std::vector<bool> result(handle_of_id_.size(), false);
  std::vector<char> seen(objects_.size(), 0);
  std::vector<Handle> work = root_handles();
  while (!work.empty()) {
    const Handle h = work.back();
    work.pop_back();
    if (seen[h]) continue;
    seen[h] = 1;
    result[objects_[h].id.value] = true;
    for (Handle t : objects_[h].slots) {
      if (t != kNull && !seen[t]) work.push_back(t);
    }
  }
  return result;
}

HeapGraph Model::graph() const {
  HeapGraph g;
  for (const auto& [name, h] : variables_) g.variables[name] = objects_[h].id;
  for (const auto& [name, w] : weak_) {
    g.weak[name] = w.referent == kNull ? std::nullopt : std::optional(objects_[w.referent].id);
  }
  g.revived = revived();
  g.garbage = garbage();
  HandleSet seen;
  std::vector<Handle> work = root_handles();
  while (!work.empty()) {
    const Handle h = work.back();
    work.pop_back();
    if (!seen.insert(h).second) continue;
    std::vector<std::optional<ObjectId>>& slots = g.objects[objects_[h].id];
    for (Handle t : objects_[h].slots) {
      slots.push_back(t == kNull ? std::nullopt : std::optional(objects_[t].id));
      if (t != kNull && !seen.contains(t)) work.push_back(t);
    }
  }
  return g;
}

std::optional<std::string> Model::check(const Op& expectation) const {
  auto at = [](ObjectId id) { return "@" + std::to_string(id.value); };
  auto each = [&](const ObjectList& list, auto&& holds,
                  std::string_view what) -> std::optional<std::string> {
    for (ObjectId id : list.ids) {
      if (id.value >= object_count()) return "there is no object " + at(id) + " yet";
      if (!holds(id)) return at(id) + " is not " + std::string(what);
    }
    return std::nullopt;
  };
  return std::visit(
      Overloaded{
          [&](const ExpectCollected& e) -> std::optional<std::string> {
            if (!last_collected_) return "no collection has run";
            if (*last_collected_ == e.count.value) return std::nullopt;
            return "the last collect returned " + std::to_string(*last_collected_) + ", not " +
                   std::to_string(e.count.value);
          },
          [&](const ExpectFreed& e) {
            return each(
                e.ids, [&](ObjectId id) { return is_freed(id); }, "freed");
          },
          [&](const ExpectAlive& e) {
            return each(
                e.ids, [&](ObjectId id) { return !is_freed(id); }, "alive");
          },
          [&](const ExpectFinalized& e) {
            return each(
                e.ids, [&](ObjectId id) { return times_finalized(id) > 0; }, "finalized");
          },
          [&](const ExpectGarbage& e) {
            const std::vector<ObjectId> g = garbage();
            return each(
                e.ids, [&](ObjectId id) { return std::binary_search(g.begin(), g.end(), id); },
                "in garbage");
          },
          [&](const ExpectRefcount& e) -> std::optional<std::string> {
            const std::optional<ObjectId> id = variable(e.var.name);
            if (!id) return e.var.name + " is unbound";
            if (refcount(*id) == e.count.value) return std::nullopt;
            return e.var.name + " (" + at(*id) + ") has " + std::to_string(refcount(*id)) +
                   " references, not " + std::to_string(e.count.value);
          },
          [](const auto&) -> std::optional<std::string> { return std::nullopt; },
      },
      expectation);
}

}  // namespace gcfuzz
