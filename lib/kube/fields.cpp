#include "kube/fields.h"

#include <vector>

namespace meshctl::kube {

const nlohmann::json& object_at(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!j.is_object())
    return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

const nlohmann::json& array_at(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json none = nlohmann::json::array();
  if (!j.is_object())
    return none;
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : none;
}

const nlohmann::json& items(const nlohmann::json& list) {
  return array_at(list, "items");
}

std::string string_at(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object())
    return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string metadata_string(const nlohmann::json& object, std::string_view key) {
  return string_at(object_at(object, "metadata"), key);
}

std::string label_of(const nlohmann::json& object, std::string_view key) {
  return string_at(object_at(object_at(object, "metadata"), "labels"), key);
}

std::string annotation_of(const nlohmann::json& object, std::string_view key) {
  return string_at(object_at(object_at(object, "metadata"), "annotations"), key);
}

nlohmann::json parse_api_answer(std::string_view text) {
  using Event = nlohmann::json::parse_event_t;
  // keys[d] is the key whose value is the structure open at depth d ("" for
  // an array element), so a key's parent is keys[depth - 1].
  std::vector<std::string> keys(1);
  auto keep = [&keys](int depth, Event event, nlohmann::json& parsed) {
    const auto at = static_cast<std::size_t>(depth);
    if (keys.size() <= at + 1)
      keys.resize(at + 2);
    if (event == Event::array_start) {
      keys[at + 1].clear();  // its elements have no key
    } else if (event == Event::key) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (key == "managedFields" && at >= 1 && keys[at - 1] == "metadata")
        return false;
      keys[at] = key;
    }
    return true;
  };
  return nlohmann::json::parse(text, keep, /*allow_exceptions=*/false);
}

}  // namespace meshctl::kube
