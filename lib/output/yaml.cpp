#include "output/yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace meshctl::output {
namespace {

void emit(YAML::Emitter& out, const nlohmann::json& value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (auto it = value.begin(); it != value.end(); ++it) {
      out << YAML::Key << it.key() << YAML::Value;
      emit(out, it.value());
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : value)
      emit(out, item);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    out << YAML::DoubleQuoted << value.get<std::string>();
  } else if (value.is_null()) {
    out << YAML::Null;
  } else {
    out << value.dump();
  }
}

}  // namespace

std::string to_yaml(const nlohmann::json& value, const std::vector<std::string>& first) {
  YAML::Emitter out;
  if (!value.is_object() || first.empty()) {
    emit(out, value);
    return std::string(out.c_str()) + "\n";
  }
  out << YAML::BeginMap;
  for (const auto& key : first) {
    if (value.contains(key)) {
      out << YAML::Key << key << YAML::Value;
      emit(out, value[key]);
    }
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (std::find(first.begin(), first.end(), it.key()) != first.end())
      continue;
    out << YAML::Key << it.key() << YAML::Value;
    emit(out, it.value());
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace meshctl::output
