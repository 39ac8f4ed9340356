// The embedded Lua 5.4 collectors, `lua-5.4:lua` (incremental mode) and `lua-5.4-gen:lua`
// (generational mode): the real Lua (liblua5.4) runs every trace; gcfuzz only translates ops
// into C API calls and reads events off Lua's own hooks (SPEC.md 3.6).
//
// What is Lua's and what is the adapter's:
// - Each trace gets its own lua_State (no standard library opened), in the collector's mode,
//   with automatic collection stopped. `collect` is lua_gc(LUA_GCCOLLECT); `collect young`
//   is lua_gc(LUA_GCSTEP, 0), one minor collection in generational mode.
// - An object is a full userdata with one user value per slot: the user values are the
//   strong references Lua traces. Its memory holds a small header (id, slot count,
//   finalizer) and the payload. A finalizer is a `__gc` metamethod in the metatable that
//   `setmetatable` gives the object at `alloc` (that call marks it for finalization).
// - Variables are the entries of a table in the registry; weak variables are the entries of
//   a table whose metatable says `__mode = "v"`; `revived` is a sequence in the registry.
//   Lua has no `garbage` list and no weak-reference callback (SPEC.md 3.6).
// - Events: `freed` from the state's allocator (lua_Alloc) when Lua frees a userdata's
//   block, `finalized` from `__gc`, `cleared` by reading each weak variable after the op,
//   `collected` by counting this op's frees (Lua's own call returns 0).
// - The heap view reads variables, weak variables and `revived` from Lua's tables, and the
//   objects from the blocks the allocator has not freed. A slot is read from the header's
//   record of the user value the adapter last stored there: Lua's API cannot push a
//   userdata it is only given the address of, and an object kept for finalization may be
//   reachable from no table. A slot whose target Lua freed shows as a dangling reference.
//
// At the end of a trace the state is closed with every `__gc` silenced and no event
// reported: lua_close finalizes whatever is still marked, which no op of a trace does.
#include <lua.hpp>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gcfuzz/collector.hpp"

namespace gcfuzz::lua {

namespace {

enum class Mode : std::uint8_t { incremental, generational };

// Planted misconfigurations of the adapter (not of Lua), which the harness must catch.
enum class Bug : std::uint8_t {
  none,
  // `__gc` is put into the object's metatable after `setmetatable`: Lua marks an object for
  // finalization only if `__gc` is there at that call, so no finalizer ever runs.
  gc_after_setmetatable,
  // The userdata gets one user value fewer than it has slots: storing into the last slot
  // fails (lua_setiuservalue returns 0), so Lua does not see that reference.
  one_user_value_short,
  // `collect young` runs a full collection although the collector declares generations.
  young_is_full,
  // The weak variables' table is weak in its keys (`__mode = "k"`), not its values: its
  // values are strong references, so a weak variable keeps its object alive.
  weak_keys,
};

// The userdata's memory: this header, then the payload.
struct Obj {
  std::uint32_t id;  // the public id, or a provisional one until the op ends
  std::uint8_t slot_count;
  Finalizer fin;
  std::uint32_t payload_size;
  Obj* prev;  // the objects Lua has not freed, newest first
  Obj* next;
  Obj* slots[kMaxSlots];  // what the adapter last stored in each user value (see above)

  std::span<std::byte> payload() { return {reinterpret_cast<std::byte*>(this + 1), payload_size}; }
};

// Registry keys of the state's tables.
constexpr const char* kVariables = "gcfuzz.variables";
constexpr const char* kWeak = "gcfuzz.weak";
constexpr const char* kRevived = "gcfuzz.revived";
constexpr const char* kHeap = "gcfuzz.heap";  // a light userdata: the Heap
// One metatable per finalizer kind, at registry keys "gcfuzz.fin.<kind>".
std::string metatable_key(Finalizer fin) {
  return "gcfuzz.fin." + std::string(name_of(fin));
}

class Heap final : public Collector, private HeapView {
 public:
  Heap(Observer& observer, Mode mode, Bug bug);
  ~Heap() override;

  void alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) override;
  void link(std::string_view target, int slot, std::string_view source) override;
  void unlink(std::string_view target, int slot) override;
  void load(std::string_view var, std::string_view source, int slot) override;
  void copy(std::string_view var, std::string_view source) override;
  void drop(std::string_view var) override;
  void weak(std::string_view weak, std::string_view var, bool callback) override;
  void deref(std::string_view var, std::string_view weak) override;
  void collect(bool young) override;
  void clear(RootList list) override;

  const HeapView& view() const override { return *this; }

 private:
  // HeapView
  void for_each_variable(const std::function<void(std::string_view, Ref)>& f) const override;
  void for_each_weak(const std::function<void(std::string_view, Ref)>& f) const override;
  void for_each_in_list(RootList list, const std::function<void(Ref)>& f) const override;
  void for_each_object(const std::function<void(Ref)>& f) const override;
  ObjectId id(Ref o) const override { return ObjectId{static_cast<const Obj*>(o)->id}; }
  int slot_count(Ref o) const override { return static_cast<const Obj*>(o)->slot_count; }
  Ref slot(Ref o, int i) const override { return static_cast<const Obj*>(o)->slots[i]; }
  std::optional<std::span<const std::byte>> payload(Ref o) const override {
    return const_cast<Obj*>(static_cast<const Obj*>(o))->payload();
  }

  static void* allocate(void* ud, void* block, std::size_t old_size, std::size_t new_size);
  static int gc_metamethod(lua_State* L);
  static int panic(lua_State* L);

  // Pushes the object bound to `var` (or nothing) and returns it, or null (nothing pushed).
  Obj* push_variable(std::string_view var) const;
  // Pushes a new object; `id` as given.
  Obj* push_new_object(int slots, Finalizer fin, std::uint32_t payload, ObjectId id);
  // t[name] = the value on top of the stack (popped), for the registry table `table`.
  void store(const char* table, std::string_view name) const;
  // Sets user value `slot` of the object at stack index `holder` to the top value (popped).
  void store_slot(int holder, Obj* o, int slot, Obj* value);
  void finalizer_ran(Obj* o);
  void end_op();

  Observer& observer_;
  const Mode mode_;
  const Bug bug_;
  lua_State* L_ = nullptr;
  bool closing_ = false;
  // Userdata blocks Lua has not freed: block address -> its object. A userdata's block is
  // the one Lua allocates with the type tag LUA_TUSERDATA; `last_userdata_` is the latest.
  std::unordered_map<void*, Obj*> objects_;
  Obj* live_ = nullptr;
  void* last_userdata_ = nullptr;
  std::int64_t freed_this_op_ = 0;
  // Weak variables still holding an object after the last op (a `cleared` event is to come).
  std::map<std::string, bool, std::less<>> weak_live_;
  FinalizerAllocations finalizer_allocations_;
  std::vector<Obj*> unnumbered_;
  std::uint32_t next_id_ = 0;
};

// ---- The state ----

void* Heap::allocate(void* ud, void* block, std::size_t old_size, std::size_t new_size) {
  auto* heap = static_cast<Heap*>(ud);
  if (new_size == 0) {
    if (block != nullptr) {
      if (auto it = heap->objects_.find(block); it != heap->objects_.end()) {
        Obj* o = it->second;
        heap->objects_.erase(it);
        (o->prev != nullptr ? o->prev->next : heap->live_) = o->next;
        if (o->next != nullptr) o->next->prev = o->prev;
        if (!heap->closing_) {
          std::erase(heap->unnumbered_, o);
          heap->observer_.freed(ObjectId{o->id});
          ++heap->freed_this_op_;
        }
      }
    }
    std::free(block);
    return nullptr;
  }
  void* result = std::realloc(block, new_size);
  // With no block, `old_size` is the type of the object Lua is creating.
  if (block == nullptr && old_size == LUA_TUSERDATA) heap->last_userdata_ = result;
  return result;
}

int Heap::panic(lua_State* L) {
  const char* message = lua_tostring(L, -1);
  std::fprintf(stderr, "gcfuzz: lua: unprotected error: %s\n", message ? message : "?");
  std::abort();
}

Heap::Heap(Observer& observer, Mode mode, Bug bug) : observer_(observer), mode_(mode), bug_(bug) {
  L_ = lua_newstate(&Heap::allocate, this);
  if (L_ == nullptr) throw std::runtime_error("Lua: cannot create a state");
  lua_atpanic(L_, &Heap::panic);
  if (lua_version(L_) != 504) {
    lua_close(L_);
    throw std::runtime_error("Lua: expected 5.4");
  }
  // The mode first, while the state holds no object of the trace (switching to
  // generational runs a full collection); then no automatic collection.
  if (mode_ == Mode::generational) lua_gc(L_, LUA_GCGEN, 0, 0);
  lua_gc(L_, LUA_GCSTOP);
  lua_pushlightuserdata(L_, this);
  lua_setfield(L_, LUA_REGISTRYINDEX, kHeap);
  lua_newtable(L_);
  lua_setfield(L_, LUA_REGISTRYINDEX, kVariables);
  lua_newtable(L_);
  lua_newtable(L_);
  lua_pushstring(L_, bug_ == Bug::weak_keys ? "k" : "v");
  lua_setfield(L_, -2, "__mode");
  lua_setmetatable(L_, -2);
  lua_setfield(L_, LUA_REGISTRYINDEX, kWeak);
  lua_newtable(L_);
  lua_setfield(L_, LUA_REGISTRYINDEX, kRevived);
  for (std::size_t i = 1; i < kFinalizerNames.size(); ++i) {
    lua_newtable(L_);
    lua_pushcfunction(L_, &Heap::gc_metamethod);
    lua_setfield(L_, -2, "__gc");
    lua_setfield(L_, LUA_REGISTRYINDEX, metatable_key(static_cast<Finalizer>(i)).c_str());
  }
  // Flush what setting up created, so that no trace collection meets it half-way.
  lua_gc(L_, LUA_GCCOLLECT);
}

Heap::~Heap() {
  closing_ = true;  // silences every `__gc` and every free
  lua_close(L_);
}

// `__gc`: reports, then does what the finalizer kind says. Lua calls it with the object as
// its argument, after the collection's frees and weak clears, and at most once per marking.
int Heap::gc_metamethod(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kHeap);
  auto* heap = static_cast<Heap*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  auto* o = static_cast<Obj*>(lua_touserdata(L, 1));
  if (heap == nullptr || o == nullptr || heap->closing_) return 0;
  heap->finalizer_ran(o);
  return 0;
}

void Heap::finalizer_ran(Obj* o) {
  observer_.finalized(ObjectId{o->id});
  if (o->fin == Finalizer::resurrect) {
    lua_getfield(L_, LUA_REGISTRYINDEX, kRevived);
    lua_pushvalue(L_, 1);
    lua_rawseti(L_, -2, static_cast<lua_Integer>(lua_rawlen(L_, -2)) + 1);
    lua_pop(L_, 1);
  } else if (o->fin == Finalizer::alloc) {
    Obj* made =
        push_new_object(0, Finalizer::none, 0, finalizer_allocations_.provisional(ObjectId{o->id}));
    unnumbered_.push_back(made);
    if (o->slot_count > 0) {
      store_slot(1, o, 0, made);
    } else {
      lua_pop(L_, 1);  // nothing holds it: the next collection frees it
    }
  }
}

// ---- Objects ----

Obj* Heap::push_new_object(int slots, Finalizer fin, std::uint32_t payload, ObjectId id) {
  const int user_values = bug_ == Bug::one_user_value_short && slots > 0 ? slots - 1 : slots;
  last_userdata_ = nullptr;
  auto* o = static_cast<Obj*>(lua_newuserdatauv(L_, sizeof(Obj) + payload, user_values));
  if (last_userdata_ == nullptr) throw std::logic_error("Lua: no userdata block was allocated");
  objects_.emplace(last_userdata_, o);
  o->id = id.value;
  o->slot_count = static_cast<std::uint8_t>(slots);
  o->fin = fin;
  o->payload_size = payload;
  for (Obj*& s : o->slots) s = nullptr;
  o->prev = nullptr;
  o->next = live_;
  if (live_ != nullptr) live_->prev = o;
  live_ = o;
  fill_payload(id, o->payload());
  if (fin != Finalizer::none) {
    if (bug_ == Bug::gc_after_setmetatable) {
      lua_newtable(L_);
      lua_pushvalue(L_, -1);
      lua_setmetatable(L_, -3);
      lua_pushcfunction(L_, &Heap::gc_metamethod);
      lua_setfield(L_, -2, "__gc");
      lua_pop(L_, 1);
    } else {
      lua_getfield(L_, LUA_REGISTRYINDEX, metatable_key(fin).c_str());
      lua_setmetatable(L_, -2);
    }
  }
  return o;
}

Obj* Heap::push_variable(std::string_view var) const {
  lua_getfield(L_, LUA_REGISTRYINDEX, kVariables);
  lua_pushlstring(L_, var.data(), var.size());
  lua_rawget(L_, -2);
  lua_remove(L_, -2);
  if (lua_isnil(L_, -1)) {
    lua_pop(L_, 1);
    return nullptr;
  }
  return static_cast<Obj*>(lua_touserdata(L_, -1));
}

void Heap::store(const char* table, std::string_view name) const {
  lua_getfield(L_, LUA_REGISTRYINDEX, table);
  lua_pushlstring(L_, name.data(), name.size());
  lua_pushvalue(L_, -3);
  lua_rawset(L_, -3);
  lua_pop(L_, 2);
}

void Heap::store_slot(int holder, Obj* o, int slot, Obj* value) {
  if (holder < 0) holder = lua_absindex(L_, holder);
  lua_setiuservalue(L_, holder, slot + 1);  // pops; 0 if there is no such user value
  o->slots[slot] = value;
}

// ---- Mutator ops ----

void Heap::alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) {
  push_new_object(slots, fin, payload, ObjectId{next_id_++});
  store(kVariables, var);
  end_op();
}

void Heap::link(std::string_view target, int slot, std::string_view source) {
  if (Obj* t = push_variable(target)) {
    Obj* s = push_variable(source);
    if (s != nullptr && slot < t->slot_count) {
      store_slot(-2, t, slot, s);
    } else if (s != nullptr) {
      lua_pop(L_, 1);
    }
    lua_pop(L_, 1);
  }
  end_op();
}

void Heap::unlink(std::string_view target, int slot) {
  if (Obj* t = push_variable(target)) {
    if (slot < t->slot_count) {
      lua_pushnil(L_);
      store_slot(-2, t, slot, nullptr);
    }
    lua_pop(L_, 1);
  }
  end_op();
}

void Heap::load(std::string_view var, std::string_view source, int slot) {
  if (Obj* s = push_variable(source)) {
    if (slot < s->slot_count) {
      lua_getiuservalue(L_, -1, slot + 1);  // nil when empty (or missing)
      store(kVariables, var);
    }
    lua_pop(L_, 1);
  }
  end_op();
}

void Heap::copy(std::string_view var, std::string_view source) {
  if (push_variable(source) != nullptr) store(kVariables, var);
  end_op();
}

void Heap::drop(std::string_view var) {
  lua_pushnil(L_);
  store(kVariables, var);
  lua_pushnil(L_);
  store(kWeak, var);
  weak_live_.erase(std::string(var));
  end_op();
}

// `cb` is accepted and runs nothing: Lua has no weak-reference callback (SPEC.md 3.6).
void Heap::weak(std::string_view weak, std::string_view var, bool /*callback*/) {
  if (push_variable(var) != nullptr) {
    store(kWeak, weak);
    weak_live_[std::string(weak)] = true;
  }
  end_op();
}

void Heap::deref(std::string_view var, std::string_view weak) {
  if (weak_live_.contains(weak)) {
    lua_getfield(L_, LUA_REGISTRYINDEX, kWeak);
    lua_pushlstring(L_, weak.data(), weak.size());
    lua_rawget(L_, -2);
    lua_remove(L_, -2);
    store(kVariables, var);
  }
  end_op();
}

void Heap::collect(bool young) {
  freed_this_op_ = 0;
  if (young && mode_ == Mode::generational && bug_ != Bug::young_is_full) {
    lua_gc(L_, LUA_GCSTEP, 0);
  } else {
    lua_gc(L_, LUA_GCCOLLECT);
  }
  observer_.collected(freed_this_op_);
  end_op();
}

// `clear revived` empties the list in place. (Replacing it with a new table would leave
// the old one, trash but old, holding its objects: in generational mode an old table that
// was written to is a root of the next minor collections.)
void Heap::clear(RootList list) {
  if (list == RootList::revived) {
    lua_getfield(L_, LUA_REGISTRYINDEX, kRevived);
    for (auto i = static_cast<lua_Integer>(lua_rawlen(L_, -1)); i >= 1; --i) {
      lua_pushnil(L_);
      lua_rawseti(L_, -2, i);
    }
    lua_pop(L_, 1);
  }
  end_op();
}

void Heap::end_op() {
  for (const auto& [provisional, final] : finalizer_allocations_.settle(next_id_, observer_)) {
    for (Obj* o : unnumbered_) {
      if (o->id == provisional.value) o->id = final.value;
    }
  }
  unnumbered_.clear();
  lua_getfield(L_, LUA_REGISTRYINDEX, kWeak);
  for (auto& [name, live] : weak_live_) {
    if (!live) continue;
    lua_pushlstring(L_, name.data(), name.size());
    if (lua_rawget(L_, -2) == LUA_TNIL) {
      live = false;
      observer_.cleared(name);
    }
    lua_pop(L_, 1);
  }
  lua_pop(L_, 1);
}

// ---- HeapView ----

void Heap::for_each_variable(const std::function<void(std::string_view, Ref)>& f) const {
  lua_getfield(L_, LUA_REGISTRYINDEX, kVariables);
  lua_pushnil(L_);
  while (lua_next(L_, -2) != 0) {
    std::size_t length = 0;
    const char* name = lua_tolstring(L_, -2, &length);  // keys are strings: no conversion
    f(std::string_view(name, length), lua_touserdata(L_, -1));
    lua_pop(L_, 1);
  }
  lua_pop(L_, 1);
}

void Heap::for_each_weak(const std::function<void(std::string_view, Ref)>& f) const {
  lua_getfield(L_, LUA_REGISTRYINDEX, kWeak);
  for (const auto& [name, live] : weak_live_) {
    lua_pushlstring(L_, name.data(), name.size());
    lua_rawget(L_, -2);
    f(name, lua_touserdata(L_, -1));  // null for nil: cleared
    lua_pop(L_, 1);
  }
  lua_pop(L_, 1);
}

void Heap::for_each_in_list(RootList list, const std::function<void(Ref)>& f) const {
  if (list != RootList::revived) return;  // Lua has no `garbage`
  lua_getfield(L_, LUA_REGISTRYINDEX, kRevived);
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L_, -1));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L_, -1, i);
    f(lua_touserdata(L_, -1));
    lua_pop(L_, 1);
  }
  lua_pop(L_, 1);
}

void Heap::for_each_object(const std::function<void(Ref)>& f) const {
  for (const Obj* o = live_; o != nullptr; o = o->next) f(o);
}

// ---- Registration ----

constexpr Capabilities kIncremental{
    .policy = Policy::lua,
    .precision = Precision::exact,
    .collects_cycles = true,
    .generational = false,
};
constexpr Capabilities kGenerational{
    .policy = Policy::lua,
    .precision = Precision::exact,
    .collects_cycles = true,
    .generational = true,
};

template <Mode M, Bug B>
std::unique_ptr<Collector> make(Observer& observer) {
  return std::make_unique<Heap>(observer, M, B);
}

constexpr std::string_view kOrigin =
    "Lua " LUA_VERSION_MAJOR "." LUA_VERSION_MINOR "." LUA_VERSION_RELEASE " (liblua5.4, embedded)";

}  // namespace

}  // namespace gcfuzz::lua

namespace gcfuzz {

std::span<const CollectorInfo> lua_collectors() {
  using lua::Bug;
  using lua::Mode;
  static const CollectorInfo entries[] = {
      {"lua-5.4:lua",
       "the real Lua 5.4 collector in incremental mode, embedded: userdata with user values, "
       "__gc metamethods, a weak-valued table",
       lua::kIncremental, "", lua::make<Mode::incremental, Bug::none>, lua::kOrigin},
      {"lua-5.4-gen:lua",
       "the real Lua 5.4 collector in generational mode, embedded; `collect young` is one "
       "minor collection",
       lua::kGenerational, "", lua::make<Mode::generational, Bug::none>, lua::kOrigin},
      {"lua-5.4:lua~gc-after-setmetatable",
       "the adapter puts __gc into the metatable after setmetatable, so Lua never marks the "
       "object for finalization",
       lua::kIncremental, "lua-5.4:lua", lua::make<Mode::incremental, Bug::gc_after_setmetatable>,
       lua::kOrigin},
      {"lua-5.4:lua~one-user-value-short",
       "the adapter gives each userdata one user value fewer than its slots, so Lua never "
       "sees what the last slot holds",
       lua::kIncremental, "lua-5.4:lua", lua::make<Mode::incremental, Bug::one_user_value_short>,
       lua::kOrigin},
      {"lua-5.4-gen:lua~young-is-full",
       "the adapter runs a full collection for `collect young` while declaring generations",
       lua::kGenerational, "lua-5.4-gen:lua", lua::make<Mode::generational, Bug::young_is_full>,
       lua::kOrigin},
      {"lua-5.4-gen:lua~weak-keys",
       "the adapter's table of weak variables is weak in its keys, not its values, so a weak "
       "variable keeps its object alive",
       lua::kGenerational, "lua-5.4-gen:lua", lua::make<Mode::generational, Bug::weak_keys>,
       lua::kOrigin},
  };
  return entries;
}

}  // namespace gcfuzz
