// JSON forms of events and divergences.
#include "harness/isolation/serialize.h"

#include <stdexcept>

namespace gcfuzz {

namespace {

nlohmann::json id_array(const std::vector<ObjectId>& ids) {
  nlohmann::json a = nlohmann::json::array();
  for (ObjectId id : ids) a.push_back(id.value);
  return a;
}

std::vector<ObjectId> ids_from(const nlohmann::json& a) {
  std::vector<ObjectId> ids;
  for (const auto& v : a) ids.push_back(ObjectId{v.get<std::uint32_t>()});
  return ids;
}

}  // namespace

void to_json(nlohmann::json& j, const Events& e) {
  j = {{"freed", id_array(e.freed)},
       {"finalized", id_array(e.finalized)},
       {"garbage", id_array(e.garbage)},
       {"cleared", e.cleared},
       {"callbacks", e.callbacks}};
  if (e.collected) j["collected"] = *e.collected;
}

void from_json(const nlohmann::json& j, Events& e) {
  e.freed = ids_from(j.at("freed"));
  e.finalized = ids_from(j.at("finalized"));
  e.garbage = ids_from(j.at("garbage"));
  e.cleared = j.at("cleared").get<std::vector<std::string>>();
  e.callbacks = j.at("callbacks").get<std::vector<std::string>>();
  e.collected.reset();
  if (j.contains("collected")) e.collected = j.at("collected").get<std::int64_t>();
}

void to_json(nlohmann::json& j, const Divergence& d) {
  j = {{"collector", d.collector},
       {"check", name_of(d.check)},
       {"op", d.op_index},
       {"detail", d.detail}};
  if (d.expected) j["expected"] = *d.expected;
  if (d.observed) j["observed"] = *d.observed;
  if (!d.diagnostics.empty()) j["diagnostics"] = d.diagnostics;
  if (!d.objects.empty()) j["objects"] = id_array(d.objects);
}

void from_json(const nlohmann::json& j, Divergence& d) {
  d.collector = j.at("collector").get<std::string>();
  const std::string check = j.at("check").get<std::string>();
  bool known = false;
  for (std::size_t i = 0; i < kCheckNames.size(); ++i) {
    if (kCheckNames[i] == check) {
      d.check = static_cast<Check>(i);
      known = true;
    }
  }
  if (!known) throw std::runtime_error("unknown check '" + check + "'");
  d.op_index = j.at("op").get<std::size_t>();
  d.detail = j.at("detail").get<std::string>();
  if (j.contains("expected")) d.expected = j.at("expected").get<Events>();
  if (j.contains("observed")) d.observed = j.at("observed").get<Events>();
  if (j.contains("diagnostics")) d.diagnostics = j.at("diagnostics").get<std::string>();
  if (j.contains("objects")) d.objects = ids_from(j.at("objects"));
}

}  // namespace gcfuzz
