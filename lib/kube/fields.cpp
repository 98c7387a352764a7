#include "kube/fields.h"

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

}  // namespace meshctl::kube
