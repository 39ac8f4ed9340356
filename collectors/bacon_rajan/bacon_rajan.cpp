// The Bacon-Rajan synchronous cycle collector and its registration.
#include "collectors/bacon_rajan/bacon_rajan.h"
#include "collectors/checks.h"

namespace gcfuzz::bacon_rajan {

BaconRajan::BaconRajan(Observer& observer, Bug bug)
    : CycleCollectingHeap(observer, Policy::pep442, refcounting::TrashBug::none), bug_(bug) {}

// Why the white set is exactly the trash. (1) The buffered roots reach all the trash:
// an object becomes unreachable only when a strong reference to some X is removed, and it
// is then reachable from X. The core routes every removal through decref: if X's count
// stays above zero, X is buffered; if it reaches zero, X is resurrected (and what it
// reaches is reachable again) or freed, and freeing removes X's own references, to which
// the same applies. A buffered object leaves the buffer only when it is freed (its
// references removed first) or when a collection takes the whole buffer; the trash that
// collect_trash leaves behind (a cycle a legacy finalizer held until it died by refcount)
// was cut loose by a removal during the collection, buffered for the next one. (2) So
// every referrer of a trash object is trash, hence gray: its trial count falls to zero,
// and no live object reaches it. A live gray object is reached from the first gray object
// on its path from a root, which keeps a reference from outside the gray set: black.
void BaconRajan::collect(bool /*young*/) {
  std::vector<Object*> roots = take_roots();
  mark_roots(roots);
  scan_roots(roots);
  ObjectList unreachable;
  collect_roots(roots, unreachable);
  roots.clear();  // collect_trash may free any of them
  if constexpr (kExpensiveChecks) validate_colors(unreachable);
  const std::int64_t collected = collect_trash(unreachable);
  observer_.collected(collected);
  end_op();
}

// PossibleRoot: buffered once, however many decrements follow.
void BaconRajan::decremented_to_nonzero(Object* o) {
  if (positions_.contains(o) || stale_flags_.contains(o)) return;
  positions_.emplace(o, buffer_.size());
  buffer_.push_back(o);
}

// The paper defers freeing a buffered object to MarkRoots; here the core frees at once, so
// the object leaves the buffer instead: nothing may keep a pointer to freed memory.
void BaconRajan::about_to_free(Object* o) {
  if (bug_ == Bug::freed_stays_buffered) return;
  stale_flags_.erase(o);  // the flag goes with the object
  auto it = positions_.find(o);
  if (it == positions_.end()) return;
  buffer_[it->second] = nullptr;
  positions_.erase(it);
  if (buffer_.size() >= 64 && positions_.size() < buffer_.size() / 2) compact_buffer();
}

// Every root leaves the buffer in this collection (CollectRoots, in the paper), whether it
// turns out live or not. Nothing frees or decrements until collect_trash, so taking them
// now is the same as taking them there; candidates that collect_trash's finalizers and
// frees create go into the emptied buffer, for the next collection.
std::vector<BaconRajan::Object*> BaconRajan::take_roots() {
  std::vector<Object*> roots;
  roots.reserve(positions_.size());
  for (Object* o : buffer_) {
    if (o != nullptr) roots.push_back(o);
  }
  if (bug_ == Bug::root_keeps_buffered_flag) stale_flags_.insert(roots.begin(), roots.end());
  buffer_.clear();
  positions_.clear();
  return roots;
}

// MarkRoots.
// 1. A root that an earlier root's MarkGray already reached is dropped: it is scanned and
//    collected from there. (Every root is purple and alive: see the encodings.)
// 2. MarkGray from each other root.
// ENSURES: the roots and everything they reach are gray; each count is the true count
// minus the references held by gray objects (the trial deletion).
void BaconRajan::mark_roots(std::vector<Object*>& roots) {
  examined_ = 0;
  std::erase_if(roots, [&](Object* s) {
    if (s->gc_flags == kGray) return true;
    mark_gray(s);
    return false;
  });
}

// MarkGray(S): S turns gray, and so does everything it reaches; each reference a gray
// object holds is trial-deleted once, when its holder turns gray.
void BaconRajan::mark_gray(Object* s) {
  s->gc_flags = kGray;
  ++examined_;
  work_.push_back(s);
  while (!work_.empty()) {
    Object* o = work_.back();
    work_.pop_back();
    int n = o->slot_count;
    if (bug_ == Bug::mark_gray_skips_last_slot && n > 0) --n;
    for (int i = 0; i < n; ++i) {
      Object* t = o->slots()[i];
      if (t == nullptr) continue;
      --t->refcount;
      if (t->gc_flags != kGray) {
        t->gc_flags = kGray;
        ++examined_;
        work_.push_back(t);
      }
    }
  }
}

// ScanRoots: every gray object ends black (referenced from outside the gray set, or
// reached from such an object) or white (neither: trash).
void BaconRajan::scan_roots(const std::vector<Object*>& roots) {
  for (Object* s : roots) scan(s);
}

// Scan(S): a gray object whose trial count is above zero is referenced from outside: it
// and what it reaches are live (ScanBlack). Otherwise it is white for now, and its
// children are scanned; a later ScanBlack turns it black again if a live object reaches
// it, so the result does not depend on the order of the scan.
void BaconRajan::scan(Object* s) {
  work_.push_back(s);
  while (!work_.empty()) {
    Object* o = work_.back();
    work_.pop_back();
    if (o->gc_flags != kGray) continue;  // already black or white
    if (o->refcount > 0) {
      scan_black(o);
      continue;
    }
    o->gc_flags = kWhite;
    for (int i = 0; i < o->slot_count; ++i) {
      if (Object* t = o->slots()[i]) work_.push_back(t);
    }
  }
}

// ScanBlack(S): S is live; the references it holds were trial-deleted by MarkGray, so
// their counts are restored, and what it reaches turns black too. Runs inside scan's
// traversal, so it has a work list of its own.
void BaconRajan::scan_black(Object* s) {
  std::vector<Object*>& work = black_work_;
  s->gc_flags = 0;
  work.push_back(s);
  while (!work.empty()) {
    Object* o = work.back();
    work.pop_back();
    for (int i = 0; i < o->slot_count; ++i) {
      Object* t = o->slots()[i];
      if (t == nullptr) continue;
      if (bug_ != Bug::scan_black_no_restore) ++t->refcount;
      if (t->gc_flags != 0) {
        t->gc_flags = 0;
        work.push_back(t);
      }
    }
  }
}

// CollectRoots: the white objects are the trash. Each is reachable from a root through
// white objects only (whatever reaches trash is trash), so collecting from the roots finds
// them all.
// ENSURES: `unreachable` holds every white object, flagged kUnreachable (unlinked from the
// generation lists); every count is true again; every other object's gc_flags is 0.
void BaconRajan::collect_roots(const std::vector<Object*>& roots, ObjectList& unreachable) {
  for (Object* s : roots) collect_white(s, unreachable);
}

// CollectWhite(S), which in the paper frees S. Here it hands S to collect_trash instead, so
// the counts that S's references lost to MarkGray (never restored, S being white) are
// restored first.
void BaconRajan::collect_white(Object* s, ObjectList& unreachable) {
  if (s->gc_flags != kWhite) return;
  s->gc_flags = Object::kUnreachable;
  unreachable.move_here(s);
  work_.push_back(s);
  while (!work_.empty()) {
    Object* o = work_.back();
    work_.pop_back();
    for (int i = 0; i < o->slot_count; ++i) {
      Object* t = o->slots()[i];
      if (t == nullptr) continue;
      ++t->refcount;
      if (t->gc_flags == kWhite) {
        t->gc_flags = Object::kUnreachable;
        unreachable.move_here(t);
        work_.push_back(t);
      }
    }
  }
}

void BaconRajan::compact_buffer() {
  std::erase(buffer_, nullptr);
  for (std::size_t i = 0; i < buffer_.size(); ++i) positions_[buffer_[i]] = i;
}

std::vector<ObjectId> BaconRajan::candidates() const {
  std::vector<ObjectId> ids;
  for (const Object* o : buffer_) {
    if (o != nullptr) ids.push_back(o->id);
  }
  return ids;
}

// Between CollectRoots and collect_trash: no gray or white is left anywhere.
void BaconRajan::validate_colors(const ObjectList& unreachable) const {
  validate_list(unreachable, Object::kUnreachable);
  validate_list(young_, 0);
  validate_list(old_, 0);
}

}  // namespace gcfuzz::bacon_rajan

namespace gcfuzz {

namespace {

using bacon_rajan::Bug;

constexpr Capabilities kCapabilities{
    .policy = Policy::pep442,
    .precision = Precision::exact,
    .collects_cycles = true,
    .generational = false,
    .moving = false,
    .incremental = false,
    .refcounts = true,
};

template <Bug B>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<bacon_rajan::BaconRajan>(observer, B);
}

}  // namespace

std::span<const CollectorInfo> bacon_rajan_collectors() {
  static const CollectorInfo entries[] = {
      {"bacon-rajan:pep442",
       "reference counting + Bacon-Rajan synchronous cycle collection from buffered possible "
       "roots, CPython 3.9+ semantics",
       kCapabilities, "", make<Bug::none>},
      {"bacon-rajan:pep442~scan-black-no-restore",
       "ScanBlack recolors live objects without restoring the counts MarkGray took from what "
       "they reference",
       kCapabilities, "bacon-rajan:pep442", make<Bug::scan_black_no_restore>},
      {"bacon-rajan:pep442~mark-gray-skips-last-slot",
       "off by one in MarkGray: the last slot is neither trial-deleted nor followed", kCapabilities,
       "bacon-rajan:pep442", make<Bug::mark_gray_skips_last_slot>},
      {"bacon-rajan:pep442~root-keeps-buffered-flag",
       "CollectRoots empties the buffer without resetting the roots' buffered flags: a root "
       "that turned out live is never buffered again, and a cycle later cut loose through it "
       "leaks",
       kCapabilities, "bacon-rajan:pep442", make<Bug::root_keeps_buffered_flag>},
      {"bacon-rajan:pep442~freed-stays-buffered",
       "an object freed by refcount stays in the root buffer: the next collection reads freed "
       "memory",
       kCapabilities, "bacon-rajan:pep442", make<Bug::freed_stays_buffered>},
  };
  return entries;
}

}  // namespace gcfuzz
