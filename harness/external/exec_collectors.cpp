// The client side of the line protocol (docs/protocol.md): one Endpoint per adapter, holding
// its process and what it offered; one PeerCollector per trace, which turns each op into a
// request and each reply into the Observer's events and a HeapView.
#include "harness/external/exec_collectors.h"

#include <fnmatch.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "collectors/registry.h"
#include "harness/engine/external_collectors.h"
#include "harness/external/cpython_oracle.h"
#include "harness/external/python_script.h"
#include "harness/trace/text.h"
#include "model/ops.h"

namespace gcfuzz {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kExecPrefix = "exec:";
constexpr std::string_view kPythonPrefix = "python:";
constexpr std::chrono::milliseconds kPythonTimeout{60'000};
constexpr std::chrono::milliseconds kJvmTimeout{60'000};

// HotSpot's collectors (docs/jvm.md): gcfuzz's name for each, and the flag that selects it.
struct JvmCollector {
  std::string_view name;
  std::string_view gc_flag;
};
constexpr std::array<JvmCollector, 3> kJvmCollectors = {{
    {"jvm-serial:java", "-XX:+UseSerialGC"},
    {"jvm-parallel:java", "-XX:+UseParallelGC"},
    {"jvm-g1:java", "-XX:+UseG1GC"},
}};

// What the adapter sent, quoted in a message.
std::string quote(std::string_view text) {
  constexpr std::size_t kShown = 200;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  return "'" + shown + "'";
}

// The last non-empty line of a peer's stderr, as a clause for a one-line message.
std::string last_words(const std::string& diagnostics) {
  std::string_view text = diagnostics;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (text.empty()) return "";
  const std::size_t start = text.find_last_of('\n');
  text = start == std::string_view::npos ? text : text.substr(start + 1);
  return fmt::format("; its stderr ends {}", quote(text));
}

// A reply that breaks the protocol: the peer is stopped, and this is what the divergence says.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---- What an adapter offers (its handshake) ----

struct Offered {
  std::string offered;  // the adapter's name for it: what `reset` takes
  std::string name;     // gcfuzz's name for it
  std::string summary, origin, mutant_of;
  Capabilities capabilities;
};

bool flag(const json& caps, const char* key, bool fallback) {
  if (!caps.contains(key)) return fallback;
  if (!caps.at(key).is_boolean()) {
    throw ProtocolError(fmt::format("capability '{}' must be true or false", key));
  }
  return caps.at(key).get<bool>();
}

std::string text_field(const json& j, const char* key, std::string fallback = "") {
  if (!j.contains(key)) return fallback;
  if (!j.at(key).is_string()) throw ProtocolError(fmt::format("'{}' must be a string", key));
  return j.at(key).get<std::string>();
}

Capabilities capabilities_from(const json& caps) {
  if (!caps.is_object()) throw ProtocolError("'capabilities' must be an object");
  Capabilities c;
  const std::string policy = text_field(caps, "policy");
  if (policy.empty()) throw ProtocolError("'capabilities' must name a 'policy'");
  const std::optional<Policy> p = policy_from_name(policy);
  if (!p) {
    throw ProtocolError(
        fmt::format("unknown policy '{}' (pep442, pep442-whole, legacy, java, boehm, lua)", policy));
  }
  c.policy = *p;
  const std::string precision = text_field(caps, "precision", "exact");
  if (precision != "exact" && precision != "conservative") {
    throw ProtocolError(fmt::format("unknown precision '{}' (exact, conservative)", precision));
  }
  c.precision = precision == "exact" ? Precision::exact : Precision::conservative;
  if (c.precision == Precision::conservative && counts_references(c.policy)) {
    throw ProtocolError("a conservative collector must declare a tracing policy (java, boehm, lua)");
  }
  c.collects_cycles = flag(caps, "collects_cycles", true);
  c.generational = flag(caps, "generational", false);
  c.moving = flag(caps, "moving", false);
  c.incremental = flag(caps, "incremental", false);
  c.refcounts = flag(caps, "refcounts", false);
  return c;
}

// ---- One adapter: its process, and what it offers ----

class PeerCollector;

class Endpoint {
 public:
  // `single` names the adapter's one non-mutant collector (python:PATH); otherwise each is
  // named `label/OFFERED`.
  Endpoint(std::string label, PeerCommand command, std::string source, bool single)
      : label_(std::move(label)),
        source_(std::move(source)),
        single_(single),
        peer_(std::move(command)) {}

  const std::string& label() const { return label_; }

  // Starts the adapter and registers what it offers. Throws ExternalError.
  const std::deque<Offered>& offer() {
    if (registered_.empty()) {
      try {
        connect();
      } catch (const PeerFailure& e) {
        throw ExternalError(
            fmt::format("{} ({}): {}{}", label_, source_, e.what(), last_words(e.diagnostics)));
      } catch (const ProtocolError& e) {
        throw ExternalError(fmt::format("{} ({}): {}", label_, source_, e.what()));
      }
      register_offered();
    }
    return offered_;
  }
  const std::vector<const CollectorInfo*>& registered() const { return registered_; }

  // The running adapter, started (again) and shaken hands with if it is not. Throws
  // PeerFailure or ProtocolError.
  PeerProcess& live() {
    if (!peer_.running()) connect();
    return peer_;
  }

  // A request within a trace: the reply, or a failure the Lane reports (PeerFailure becomes
  // CollectorTimeout or a crash, both naming `what`, the op).
  std::string request(std::string_view line, std::string_view what) {
    try {
      return live().request(line);
    } catch (const PeerFailure& e) {
      const std::string message =
          fmt::format("{}: {}{}", what, e.what(), last_words(e.diagnostics));
      if (e.kind == PeerFailure::Kind::timed_out) throw CollectorTimeout(message);
      throw std::runtime_error(message);
    } catch (const ProtocolError& e) {
      throw std::runtime_error(fmt::format("{}: {}", what, e.what()));
    }
  }
  // Stops the adapter after a reply that broke the protocol, and says so.
  [[noreturn]] void broken(std::string_view what, std::string_view line, std::string_view why) {
    peer_.stop();
    throw std::runtime_error(fmt::format("{}: malformed reply {} ({})", what, quote(line), why));
  }

 private:
  // Starts the process and checks its handshake; the first one decides what it offers, a
  // restarted adapter must offer the same.
  void connect() {
    peer_.start();
    const std::string reply = peer_.request(fmt::format("gcfuzz-protocol {}", kProtocolVersion));
    std::deque<Offered> offered;
    try {
      offered = parse_handshake(reply);
    } catch (const ProtocolError& e) {
      peer_.stop();
      throw ProtocolError(fmt::format("bad handshake {}: {}", quote(reply), e.what()));
    } catch (const json::exception&) {
      peer_.stop();
      throw ProtocolError(fmt::format("bad handshake {}: not a JSON object", quote(reply)));
    }
    if (!offered_.empty()) {
      bool same = offered.size() == offered_.size();
      for (std::size_t i = 0; same && i < offered.size(); ++i) {
        same = offered[i].offered == offered_[i].offered;
      }
      if (!same) {
        peer_.stop();
        throw ProtocolError("restarted, it offers other collectors than before");
      }
      return;
    }
    offered_ = std::move(offered);
  }

  std::deque<Offered> parse_handshake(const std::string& reply) const {
    const json j = json::parse(reply);
    if (!j.is_object()) throw ProtocolError("not a JSON object");
    if (j.contains("error")) {
      throw ProtocolError(fmt::format("it refused: {}", j.at("error").dump()));
    }
    if (!j.contains("protocol") || !j.at("protocol").is_number_integer()) {
      throw ProtocolError("no protocol version");
    }
    if (j.at("protocol").get<int>() != kProtocolVersion) {
      throw ProtocolError(fmt::format("it speaks protocol {}, gcfuzz speaks {}",
                                      j.at("protocol").get<int>(), kProtocolVersion));
    }
    if (!j.contains("collectors") || !j.at("collectors").is_array() || j.at("collectors").empty()) {
      throw ProtocolError("it offers no collectors");
    }
    std::deque<Offered> offered;
    for (const json& c : j.at("collectors")) {
      if (!c.is_object()) throw ProtocolError("a collector must be an object");
      Offered o;
      o.offered = text_field(c, "name");
      if (o.offered.empty() || o.offered.find_first_of(" \t\n") != std::string::npos) {
        throw ProtocolError("a collector needs a 'name' without spaces");
      }
      for (const Offered& other : offered) {
        if (other.offered == o.offered) {
          throw ProtocolError(fmt::format("it offers '{}' twice", o.offered));
        }
      }
      o.summary = text_field(c, "summary", "(no summary)");
      o.origin = text_field(c, "origin", label_);
      o.mutant_of = text_field(c, "mutant_of");
      if (!c.contains("capabilities")) {
        throw ProtocolError(fmt::format("'{}' declares no capabilities", o.offered));
      }
      o.capabilities = capabilities_from(c.at("capabilities"));
      offered.push_back(std::move(o));
    }
    for (const Offered& o : offered) {
      if (o.mutant_of.empty()) continue;
      bool found = false;
      for (const Offered& other : offered) found |= other.offered == o.mutant_of;
      if (!found) {
        throw ProtocolError(fmt::format("'{}' is a mutant of '{}', which it does not offer",
                                        o.offered, o.mutant_of));
      }
    }
    return offered;
  }

  std::string name_for(std::string_view offered) const {
    if (!single_) return fmt::format("{}/{}", label_, offered);
    // One real collector, named by the label; its mutants add their `~bug`.
    const std::size_t bug = offered.find('~');
    return bug == std::string_view::npos ? label_ : label_ + std::string(offered.substr(bug));
  }

  void register_offered();

  std::string label_;
  std::string source_;
  bool single_;
  PeerProcess peer_;
  std::deque<Offered> offered_;
  std::vector<const CollectorInfo*> registered_;
};

// ---- One trace of one offered collector ----

// The heap as the adapter's `heap` reply describes it.
struct Snapshot {
  struct Object {
    ObjectId id;
    std::vector<const Object*> slots;
    std::optional<std::int64_t> refcount;
  };
  std::map<std::uint32_t, Object> objects;  // stable addresses: a Ref is an Object*
  std::vector<std::pair<std::string, const Object*>> variables, weak;
  std::vector<const Object*> revived, garbage;
};

std::uint32_t object_number(const json& v, const char* where) {
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() >= (1u << 31)) {
    throw ProtocolError(fmt::format("{} must hold object numbers", where));
  }
  return static_cast<std::uint32_t>(v.get<std::uint64_t>());
}

const json& list_field(const json& j, const char* key) {
  static const json empty = json::array();
  if (!j.contains(key)) return empty;
  if (!j.at(key).is_array()) throw ProtocolError(fmt::format("'{}' must be a list", key));
  return j.at(key);
}

Snapshot parse_snapshot(const json& j, bool refcounts) {
  if (!j.is_object()) throw ProtocolError("not a JSON object");
  Snapshot s;
  for (const json& o : list_field(j, "objects")) {
    if (!o.is_object() || !o.contains("id")) {
      throw ProtocolError("each of 'objects' must be an object with an 'id'");
    }
    const std::uint32_t id = object_number(o.at("id"), "'id'");
    if (!s.objects.emplace(id, Snapshot::Object{ObjectId{id}, {}, {}}).second) {
      throw ProtocolError(fmt::format("'objects' lists @{} twice", id));
    }
    if (refcounts) {
      if (!o.contains("refcount") || !o.at("refcount").is_number_integer()) {
        throw ProtocolError(fmt::format("@{} has no 'refcount'", id));
      }
      s.objects.at(id).refcount = o.at("refcount").get<std::int64_t>();
    }
  }
  auto ref = [&](const json& v, std::string_view where) -> const Snapshot::Object* {
    if (v.is_null()) return nullptr;
    const std::uint32_t id = object_number(v, "references");
    const auto found = s.objects.find(id);
    if (found == s.objects.end()) {
      throw ProtocolError(fmt::format(
          "{} refers to @{}, which 'objects' does not list: a dangling reference", where, id));
    }
    return &found->second;
  };
  for (const json& o : list_field(j, "objects")) {
    Snapshot::Object& object = s.objects.at(o.at("id").get<std::uint32_t>());
    if (!o.contains("slots")) continue;
    if (!o.at("slots").is_array() || o.at("slots").size() > 16) {
      throw ProtocolError(
          fmt::format("the slots of @{} must be a list of at most 16", object.id.value));
    }
    for (const json& slot : o.at("slots")) {
      object.slots.push_back(ref(slot, fmt::format("a slot of @{}", object.id.value)));
    }
  }
  auto names = [&](const char* key, auto& into, bool nulls) {
    if (!j.contains(key)) return;
    if (!j.at(key).is_object()) throw ProtocolError(fmt::format("'{}' must be an object", key));
    for (const auto& [name, v] : j.at(key).items()) {
      const Snapshot::Object* target = ref(v, fmt::format("variable {}", name));
      if (target != nullptr || nulls) into.emplace_back(name, target);
    }
  };
  names("variables", s.variables, false);
  names("weak", s.weak, true);
  for (const json& v : list_field(j, "revived")) s.revived.push_back(ref(v, "revived"));
  for (const json& v : list_field(j, "garbage")) s.garbage.push_back(ref(v, "garbage"));
  return s;
}

class PeerCollector final : public Collector, public HeapView {
 public:
  PeerCollector(Endpoint& endpoint, const Offered& offered, Observer& observer)
      : endpoint_(endpoint), offered_(offered), observer_(observer) {
    // A failure here surfaces at the first op (or the first heap read): making a collector
    // cannot fail.
    try {
      const std::string reply = endpoint_.request("reset " + offered_.offered, "reset");
      json j;
      try {
        j = json::parse(reply);
      } catch (const json::exception&) {
        endpoint_.broken("to reset", reply, "not JSON");
      }
      if (!j.is_object() || !j.contains("ok")) {
        if (j.is_object() && j.contains("error")) {
          throw std::runtime_error(
              fmt::format("reset: the adapter failed: {}", j.at("error").dump()));
        }
        endpoint_.broken("to reset", reply, "expected {\"ok\": true}");
      }
    } catch (...) {
      pending_ = std::current_exception();
    }
  }

  void alloc(std::string_view var, int slots, Finalizer fin, std::uint32_t payload) override {
    send(Alloc{{std::string(var)}, {slots}, {fin}, {payload}});
  }
  void link(std::string_view target, int slot, std::string_view source) override {
    send(Link{{std::string(target)}, {slot}, {std::string(source)}});
  }
  void unlink(std::string_view target, int slot) override {
    send(Unlink{{std::string(target)}, {slot}});
  }
  void load(std::string_view var, std::string_view source, int slot) override {
    send(Load{{std::string(var)}, {std::string(source)}, {slot}});
  }
  void copy(std::string_view var, std::string_view source) override {
    send(Copy{{std::string(var)}, {std::string(source)}});
  }
  void drop(std::string_view var) override { send(Drop{{std::string(var)}}); }
  void weak(std::string_view weak, std::string_view var, bool callback) override {
    send(Weak{{std::string(weak)}, {std::string(var)}, {callback}});
  }
  void deref(std::string_view var, std::string_view weak) override {
    send(Deref{{std::string(var)}, {std::string(weak)}});
  }
  void collect(bool young) override { send(Collect{{young}}); }
  void clear(RootList list) override { send(Clear{{list}}); }
  const HeapView& view() const override { return *this; }

  // ---- HeapView: the last `heap` reply, asked for when first read after an op ----
  void for_each_variable(const std::function<void(std::string_view, Ref)>& f) const override {
    for (const auto& [name, object] : snapshot().variables) f(name, object);
  }
  void for_each_weak(const std::function<void(std::string_view, Ref)>& f) const override {
    for (const auto& [name, object] : snapshot().weak) f(name, object);
  }
  void for_each_in_list(RootList list, const std::function<void(Ref)>& f) const override {
    const Snapshot& s = snapshot();
    for (const Snapshot::Object* o : list == RootList::revived ? s.revived : s.garbage) f(o);
  }
  void for_each_object(const std::function<void(Ref)>& f) const override {
    for (const auto& [id, object] : snapshot().objects) f(&object);
  }
  ObjectId id(Ref object) const override { return as_object(object).id; }
  int slot_count(Ref object) const override {
    return static_cast<int>(as_object(object).slots.size());
  }
  Ref slot(Ref object, int index) const override {
    const auto& slots = as_object(object).slots;
    return index < static_cast<int>(slots.size()) ? slots[static_cast<std::size_t>(index)]
                                                  : nullptr;
  }
  std::optional<std::int64_t> refcount(Ref object) const override {
    return as_object(object).refcount;
  }

 private:
  static const Snapshot::Object& as_object(Ref ref) {
    return *static_cast<const Snapshot::Object*>(ref);
  }

  void send(const Op& op) {
    if (pending_) std::rethrow_exception(pending_);
    snapshot_.reset();
    const std::string text = print_op(op);
    const std::string what = fmt::format("`{}`", text);
    const std::string reply = endpoint_.request(text, what);
    json j;
    try {
      j = json::parse(reply);
    } catch (const json::exception&) {
      endpoint_.broken(what, reply, "not JSON");
    }
    if (!j.is_object()) endpoint_.broken(what, reply, "not a JSON object");
    if (j.contains("unsupported")) throw OpUnsupported(string_or_dump(j.at("unsupported")));
    if (j.contains("error")) {
      throw std::runtime_error(
          fmt::format("{}: the adapter failed: {}", what, string_or_dump(j.at("error"))));
    }
    try {
      report(j);
    } catch (const ProtocolError& e) {
      endpoint_.broken(what, reply, e.what());
    }
  }

  static std::string string_or_dump(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
  }

  void report(const json& j) {
    // Checked whole before anything reaches the observer.
    std::vector<std::uint32_t> freed, finalized, garbage;
    for (const json& v : list_field(j, "freed")) freed.push_back(object_number(v, "'freed'"));
    for (const json& v : list_field(j, "finalized")) {
      finalized.push_back(object_number(v, "'finalized'"));
    }
    for (const json& v : list_field(j, "garbage")) {
      garbage.push_back(object_number(v, "'garbage'"));
    }
    std::vector<std::string> cleared, callbacks;
    for (const json& v : list_field(j, "cleared")) {
      if (!v.is_string()) throw ProtocolError("'cleared' must hold weak variable names");
      cleared.push_back(v.get<std::string>());
    }
    for (const json& v : list_field(j, "callbacks")) {
      if (!v.is_string()) throw ProtocolError("'callbacks' must hold weak variable names");
      callbacks.push_back(v.get<std::string>());
    }
    std::optional<std::int64_t> collected;
    if (j.contains("collected")) {
      if (!j.at("collected").is_number_integer()) {
        throw ProtocolError("'collected' must be an integer");
      }
      collected = j.at("collected").get<std::int64_t>();
    }
    for (std::uint32_t id : freed) observer_.freed(ObjectId{id});
    for (std::uint32_t id : finalized) observer_.finalized(ObjectId{id});
    for (std::uint32_t id : garbage) observer_.appended_to_garbage(ObjectId{id});
    for (const std::string& w : cleared) observer_.cleared(w);
    for (const std::string& w : callbacks) observer_.callback_ran(w);
    if (collected) observer_.collected(*collected);
  }

  const Snapshot& snapshot() const {
    if (pending_) std::rethrow_exception(pending_);
    if (!snapshot_) {
      const std::string reply = endpoint_.request("heap", "`heap`");
      try {
        snapshot_ = parse_snapshot(json::parse(reply), offered_.capabilities.refcounts);
      } catch (const ProtocolError& e) {
        endpoint_.broken("to `heap`", reply, e.what());
      } catch (const json::exception&) {
        endpoint_.broken("to `heap`", reply, "not JSON");
      }
    }
    return *snapshot_;
  }

  Endpoint& endpoint_;
  const Offered& offered_;
  Observer& observer_;
  std::exception_ptr pending_;
  mutable std::optional<Snapshot> snapshot_;
};

void Endpoint::register_offered() {
  for (Offered& entry : offered_) {
    // The names must live as long as the process: the deque's strings do.
    entry.name = name_for(entry.offered);
    if (!entry.mutant_of.empty()) entry.mutant_of = name_for(entry.mutant_of);
    if (find_collector(entry.name) != nullptr) {
      throw ExternalError(
          fmt::format("{} ({}): offers {}, a name already taken", label_, source_, entry.name));
    }
  }
  for (const Offered& o : offered_) {
    const CollectorInfo& info = add_to_registry(
        CollectorInfo{.name = o.name,
                      .summary = o.summary,
                      .capabilities = o.capabilities,
                      .mutant_of = o.mutant_of,
                      .make = [this, &o](Observer& observer) -> std::unique_ptr<Collector> {
                        return std::make_unique<PeerCollector>(*this, o, observer);
                      },
                      .origin = o.origin});
    mark_out_of_process(info);
    registered_.push_back(&info);
  }
}

// ---- Declarations and endpoints, for the life of the process ----

std::map<std::string, ExecDeclaration, std::less<>>& declarations() {
  static std::map<std::string, ExecDeclaration, std::less<>> all;
  return all;
}

std::deque<Endpoint>& endpoints() {
  static std::deque<Endpoint> all;
  return all;
}

Endpoint& endpoint_for(const std::string& label, PeerCommand command, std::string source,
                       bool single) {
  for (Endpoint& e : endpoints()) {
    if (e.label() == label) return e;
  }
  return endpoints().emplace_back(label, std::move(command), std::move(source), single);
}

bool valid_exec_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

PeerCommand shell_command(const std::string& command, fs::path folder,
                          std::chrono::milliseconds timeout) {
  return PeerCommand{.argv = {"/bin/sh", "-c", "exec " + command},
                     .folder = std::move(folder),
                     .timeout = timeout};
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::optional<ExecDeclaration> declaration_named(std::string_view name) {
  const std::string full = std::string(kExecPrefix) + std::string(name);
  if (const auto found = declarations().find(full); found != declarations().end()) {
    return found->second;
  }
  for (const fs::path& folder : collector_file_folders()) {
    const fs::path file = folder / (std::string(name) + ".collector");
    std::error_code ec;
    if (fs::is_regular_file(file, ec)) return read_collector_file(file);
  }
  return std::nullopt;
}

// What `exec:NAME` or `python:PATH` alone selects: the adapter's real collectors.
std::vector<const CollectorInfo*> non_mutants(const Endpoint& endpoint) {
  std::vector<const CollectorInfo*> selected;
  for (const CollectorInfo* c : endpoint.registered()) {
    if (!c->is_mutant()) selected.push_back(c);
  }
  return selected;
}

Endpoint& exec_endpoint(std::string_view name) {
  if (!valid_exec_name(name)) {
    throw ExternalError(
        fmt::format("exec:{}: a collector name is letters, digits, '-', '_' and '.'", name));
  }
  const std::optional<ExecDeclaration> d = declaration_named(name);
  if (!d) {
    std::string places;
    for (const fs::path& folder : collector_file_folders()) places += " " + folder.string();
    throw ExternalError(fmt::format(
        "exec:{} is not declared: give --exec {}='COMMAND' or a {}.collector file in one of:{}",
        name, name, name, places));
  }
  return endpoint_for(d->name, d->command, d->source, /*single=*/false);
}

Endpoint& python_endpoint(const std::string& path) {
  PeerCommand command{.argv = {path, "-E", "-S", "-c", std::string(cpython_adapter_source())},
                      .folder = {},
                      .timeout = kPythonTimeout};
  return endpoint_for(std::string(kPythonPrefix) + path, std::move(command), "CPython adapter",
                      /*single=*/true);
}

// ---- HotSpot: the adapter of adapters/jvm/, compiled by the build ----

bool is_jvm_adapter(const fs::path& folder) {
  std::error_code ec;
  return fs::is_regular_file(folder / "classes" / "gcfuzz" / "jvm" / "Adapter.class", ec);
}

// Where the compiled adapter is: $GCFUZZ_JVM_ADAPTER, else next to the gcfuzz binary of a
// build tree (build/adapters/jvm), else the installed share/gcfuzz/adapters/jvm.
std::optional<fs::path> jvm_adapter_folder() {
  if (const char* folder = std::getenv("GCFUZZ_JVM_ADAPTER"); folder && *folder) {
    return is_jvm_adapter(folder) ? std::optional<fs::path>(folder) : std::nullopt;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  for (const fs::path& folder :
       {self.parent_path() / "adapters" / "jvm",
        self.parent_path().parent_path() / "share" / "gcfuzz" / "adapters" / "jvm"}) {
    if (is_jvm_adapter(folder)) return folder;
  }
  return std::nullopt;
}

// The java to run: $GCFUZZ_JAVA, else the first `java` on PATH.
std::optional<fs::path> java_program() {
  if (const char* java = std::getenv("GCFUZZ_JAVA"); java && *java) return fs::path(java);
  const char* path = std::getenv("PATH");
  std::stringstream entries(path ? path : "");
  for (std::string dir; std::getline(entries, dir, ':');) {
    if (dir.empty()) continue;
    const fs::path java = fs::path(dir) / "java";
    std::error_code ec;
    if (fs::is_regular_file(java, ec) && ::access(java.c_str(), X_OK) == 0) return java;
  }
  return std::nullopt;
}

// The JVM of one collector. Each flag is explained in docs/jvm.md; in short: a heap large
// enough that the JVM never collects on its own within a trace, young collections that
// follow SPEC section 4 (every survivor promoted, referent-based discovery, WhiteBox), the
// VM's own messages kept off the protocol's stdout, and the reflective access the
// quiescence wait needs.
Endpoint& jvm_endpoint(const JvmCollector& collector) {
  const std::optional<fs::path> java = java_program();
  if (!java) {
    throw ExternalError(
        fmt::format("{}: no java on PATH (install a JDK, or set GCFUZZ_JAVA)", collector.name));
  }
  const std::optional<fs::path> adapter = jvm_adapter_folder();
  if (!adapter) {
    throw ExternalError(fmt::format(
        "{}: the JVM adapter is not built (adapters/jvm/ needs javac at configure time; or set "
        "GCFUZZ_JVM_ADAPTER)",
        collector.name));
  }
  std::vector<std::string> argv = {java->string(),
                                   std::string(collector.gc_flag),
                                   "-Xms1g",
                                   "-Xmx1g",
                                   "-Xmn512m",
                                   "-XX:ActiveProcessorCount=1",
                                   "-XX:MaxTenuringThreshold=0",
                                   "-XX:RefDiscoveryPolicy=1",
                                   "-XX:+UnlockDiagnosticVMOptions",
                                   "-XX:+WhiteBoxAPI",
                                   "-Xbootclasspath/a:" + (*adapter / "whitebox").string(),
                                   "-XX:+DisplayVMOutputToStderr",
                                   "-Xshare:auto",
                                   "--add-opens",
                                   "java.base/java.lang.ref=ALL-UNNAMED"};
  // G1 allocates an object of half a region or more as humongous, which can start a
  // collection on its own: 32 MB regions keep every payload (at most 4 MiB) ordinary.
  if (collector.gc_flag == "-XX:+UseG1GC") argv.push_back("-XX:G1HeapRegionSize=32m");
  // Parallel's System.gc() scavenges the young generation before its full collection by
  // default; that scavenge processes references on its own, which the java policy's one
  // collection per `collect` does not allow (docs/jvm.md, "Parallel's scavenge").
  if (collector.gc_flag == "-XX:+UseParallelGC") argv.push_back("-XX:-ScavengeBeforeFullGC");
  argv.insert(argv.end(), {"-cp", (*adapter / "classes").string(), "gcfuzz.jvm.Adapter"});
  return endpoint_for(std::string(collector.name),
                      PeerCommand{.argv = std::move(argv), .folder = {}, .timeout = kJvmTimeout},
                      fmt::format("JVM adapter in {}", adapter->string()), /*single=*/true);
}

bool has_glob(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

// Whether `pattern` (a name or a glob) can name `base` or one of its mutants (`base~BUG`).
bool may_name(std::string_view pattern, std::string_view base) {
  const std::string p(pattern), b(base);
  if (::fnmatch(p.c_str(), b.c_str(), 0) == 0) return true;
  if (has_glob(pattern) && ::fnmatch(p.c_str(), (b + "~").c_str(), 0) == 0) return true;
  const std::size_t bug = p.find('~');
  return bug != std::string::npos && ::fnmatch(p.substr(0, bug).c_str(), b.c_str(), 0) == 0;
}

}  // namespace

ExecDeclaration parse_exec_option(std::string_view text, std::chrono::milliseconds timeout) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    throw ExternalError(fmt::format("--exec {}: expected NAME='COMMAND ARGS'", quote(text)));
  }
  const std::string name = trim(text.substr(0, eq));
  const std::string command = trim(text.substr(eq + 1));
  if (!valid_exec_name(name)) {
    throw ExternalError(
        fmt::format("--exec {}: the name must be letters, digits, '-', '_' and '.'", quote(text)));
  }
  if (command.empty()) throw ExternalError(fmt::format("--exec {}: no command", quote(text)));
  return ExecDeclaration{.name = std::string(kExecPrefix) + name,
                         .command = shell_command(command, {}, timeout),
                         .source = "--exec"};
}

ExecDeclaration read_collector_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw ExternalError(fmt::format("{}: cannot read it", file.string()));
  std::string command;
  std::chrono::milliseconds timeout = kDefaultExecTimeout;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    const std::string text = trim(line.substr(0, line.find('#')));
    if (text.empty()) continue;
    const std::size_t eq = text.find('=');
    const std::string key = eq == std::string::npos ? text : trim(text.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : trim(text.substr(eq + 1));
    if (key == "command" && !value.empty()) {
      command = value;
    } else if (key == "timeout") {
      char* end = nullptr;
      const double seconds = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(seconds > 0) || seconds > 86400) {
        throw ExternalError(fmt::format("{}:{}: timeout must be a number of seconds, not {}",
                                        file.string(), number, quote(value)));
      }
      timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    } else {
      throw ExternalError(fmt::format("{}:{}: expected 'command = ...' or 'timeout = SECONDS'",
                                      file.string(), number));
    }
  }
  if (command.empty()) throw ExternalError(fmt::format("{}: no 'command = ...'", file.string()));
  return ExecDeclaration{
      .name = std::string(kExecPrefix) + file.stem().string(),
      .command = shell_command(command, fs::absolute(file).parent_path(), timeout),
      .source = file.string()};
}

std::vector<fs::path> collector_file_folders() {
  std::vector<fs::path> folders;
  if (const char* path = std::getenv("GCFUZZ_COLLECTOR_PATH")) {
    std::string_view rest = path;
    while (!rest.empty()) {
      const std::size_t colon = rest.find(':');
      if (colon != 0) folders.emplace_back(rest.substr(0, colon));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  if (const char* config = std::getenv("XDG_CONFIG_HOME"); config && *config) {
    folders.push_back(fs::path(config) / "gcfuzz" / "collectors");
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    folders.push_back(fs::path(home) / ".config" / "gcfuzz" / "collectors");
  }
  // The installed share/gcfuzz/collectors, next to the installed bin/gcfuzz.
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) folders.push_back(self.parent_path().parent_path() / "share" / "gcfuzz" / "collectors");
  return folders;
}

void declare_exec(ExecDeclaration declaration) {
  const std::string name = declaration.name;
  if (!declarations().emplace(name, std::move(declaration)).second) {
    throw ExternalError(fmt::format("{} is declared twice (--exec)", name));
  }
}

std::vector<const CollectorInfo*> resolve_out_of_process(std::string_view pattern) {
  std::vector<const CollectorInfo*> selected;
  if (pattern.starts_with(kPythonPrefix)) {
    std::string path(pattern.substr(kPythonPrefix.size()));
    // `python:PATH~BUG` (or a glob such as `python:PATH~*`) names the adapter's mutants: the
    // registry matches them once the adapter is started.
    const std::size_t bug = path.rfind('~');
    const bool mutants = bug != std::string::npos && path.find('/', bug) == std::string::npos;
    if (mutants) path.resize(bug);
    if (path.empty()) throw ExternalError("python: needs the path of an interpreter");
    Endpoint& endpoint = python_endpoint(path);
    endpoint.offer();
    return mutants ? selected : non_mutants(endpoint);
  }
  if (pattern.starts_with("jvm")) {
    // `jvm-serial:java` selects that collector; a mutant's name or a glob (`jvm-*`,
    // `jvm-g1:java~*`) starts the JVMs it can name, and the registry matches the rest.
    for (const JvmCollector& jvm : kJvmCollectors) {
      if (!may_name(pattern, jvm.name)) continue;
      Endpoint& endpoint = jvm_endpoint(jvm);
      endpoint.offer();
      if (pattern == jvm.name) return non_mutants(endpoint);
    }
    return selected;
  }
  if (!pattern.starts_with(kExecPrefix)) return selected;
  const std::string_view rest = pattern.substr(kExecPrefix.size());
  const std::size_t slash = rest.find('/');
  Endpoint& endpoint = exec_endpoint(rest.substr(0, slash));
  endpoint.offer();
  if (slash != std::string_view::npos) return selected;  // the registry matches the rest
  return non_mutants(endpoint);
}

std::vector<const CollectorInfo*> declared_exec_collectors() {
  std::vector<const CollectorInfo*> all;
  for (const auto& [name, declaration] : declarations()) {
    Endpoint& endpoint = endpoint_for(name, declaration.command, declaration.source, false);
    endpoint.offer();
    all.insert(all.end(), endpoint.registered().begin(), endpoint.registered().end());
  }
  return all;
}

std::vector<const CollectorInfo*> python_collectors_found() {
  std::vector<const CollectorInfo*> all;
  for (const Interpreter& python : find_interpreters()) {
    try {
      Endpoint& endpoint = python_endpoint(python.path.string());
      endpoint.offer();
      all.insert(all.end(), endpoint.registered().begin(), endpoint.registered().end());
    } catch (const ExternalError&) {
      // Not usable through the adapter: left out of the list.
    }
  }
  return all;
}

std::vector<const CollectorInfo*> jvm_collectors_found() {
  std::vector<const CollectorInfo*> all;
  if (!java_program() || !jvm_adapter_folder()) return all;
  for (const JvmCollector& jvm : kJvmCollectors) {
    try {
      Endpoint& endpoint = jvm_endpoint(jvm);
      endpoint.offer();
      all.insert(all.end(), endpoint.registered().begin(), endpoint.registered().end());
    } catch (const ExternalError&) {
      // This JVM does not start (an unknown flag, say): left out of the list.
    }
  }
  return all;
}

}  // namespace gcfuzz
