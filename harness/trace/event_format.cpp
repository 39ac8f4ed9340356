// Writes events as JSON lines and as short human text.
#include "harness/trace/event_format.h"

#include <fmt/format.h>

#include "harness/trace/text.h"

namespace gcfuzz {

namespace {

std::string json_ids(const std::vector<ObjectId>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out += fmt::format("{}{}", i ? ", " : "", ids[i].value);
  }
  return out + "]";
}

std::string json_names(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += fmt::format("{}\"{}\"", i ? ", " : "", names[i]);
  }
  return out + "]";
}

}  // namespace

std::string at(ObjectId id) {
  return fmt::format("@{}", id.value);
}

std::string events_json(std::size_t index, const Op& op, const Events& e) {
  std::string out = fmt::format(
      R"({{"op": {}, "text": "{}", "freed": {}, "finalized": {}, "garbage": {}, "cleared": {}, )"
      R"("callbacks": {})",
      index, print_op(op), json_ids(e.freed), json_ids(e.finalized), json_ids(e.garbage),
      json_names(e.cleared), json_names(e.callbacks));
  if (e.collected) out += fmt::format(R"(, "collected": {})", *e.collected);
  return out + "}";
}

std::string describe(const Events& e) {
  std::vector<std::string> parts;
  auto ids = [&](std::string_view what, const std::vector<ObjectId>& list) {
    if (list.empty()) return;
    std::string part(what);
    for (ObjectId id : list) part += " " + at(id);
    parts.push_back(std::move(part));
  };
  auto names = [&](std::string_view what, const std::vector<std::string>& list) {
    if (list.empty()) return;
    std::string part(what);
    for (const std::string& n : list) part += " " + n;
    parts.push_back(std::move(part));
  };
  ids("freed", e.freed);
  ids("finalized", e.finalized);
  ids("garbage", e.garbage);
  names("cleared", e.cleared);
  names("callbacks", e.callbacks);
  if (e.collected) parts.push_back(fmt::format("collected {}", *e.collected));
  if (parts.empty()) return "nothing";
  std::string out = parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) out += ", " + parts[i];
  return out;
}

}  // namespace gcfuzz
