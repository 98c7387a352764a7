#include "mesh/objects.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "calico/names.h"
#include "kube/fields.h"
#include "mesh/manifests.h"
#include "util/base64.h"

namespace meshctl::mesh {
namespace {

Result<std::string> substitute(std::string_view text, const std::map<std::string, std::string>& vars,
                               const std::string& manifest_name) {
  std::string out;
  size_t pos = 0;
  while (true) {
    auto open = text.find("${", pos);
    if (open == std::string_view::npos)
      break;
    auto close = text.find('}', open);
    if (close == std::string_view::npos)
      break;
    out.append(text.substr(pos, open - pos));
    std::string key(text.substr(open + 2, close - open - 2));
    auto it = vars.find(key);
    if (it == vars.end()) {
      return Error(Errc::internal, "manifest " + manifest_name + " uses ${" + key + "}, which has no value");
    }
    out.append(it->second);
    pos = close + 1;
  }
  out.append(text.substr(pos));
  return out;
}

// Kubernetes manifests here hold only strings, maps and lists, so every scalar
// becomes a JSON string (YAML's "true"/"1" guessing would only add surprises).
Json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node)
        obj[kv.first.as<std::string>()] = to_json(kv.second);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : node)
        arr.push_back(to_json(item));
      return arr;
    }
    case YAML::NodeType::Scalar:
      return node.as<std::string>();
    default:
      return nullptr;
  }
}

}  // namespace

Result<Json> render_manifest(const std::string& manifest_name,
                             const std::map<std::string, std::string>& vars) {
  for (const auto& manifest : manifests::all()) {
    if (manifest.name != manifest_name)
      continue;
    TRY_ASSIGN(std::string text, substitute(manifest.yaml, vars, manifest_name));
    try {
      return to_json(YAML::Load(text));
    } catch (const YAML::Exception& e) {
      return Error(Errc::internal, "manifest " + manifest_name + " does not parse: " + e.what());
    }
  }
  return Error(Errc::internal, "no embedded manifest named " + manifest_name);
}

bool json_contains(const Json& live, const Json& desired) {
  if (desired.is_object()) {
    if (!live.is_object())
      return false;
    for (auto it = desired.begin(); it != desired.end(); ++it) {
      auto found = live.find(it.key());
      if (found == live.end() || !json_contains(*found, it.value()))
        return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!live.is_array() || live.size() != desired.size())
      return false;
    for (size_t i = 0; i < desired.size(); ++i) {
      if (!json_contains(live[i], desired[i]))
        return false;
    }
    return true;
  }
  return live == desired;
}

bool carries_managed_label(const Json& object) {
  return kube::label_of(object, calico::kManagedByLabel) == calico::kManagedByValue;
}

std::string secret_data(const Json& secret, const char* key) {
  const auto& data = secret.value("data", Json::object());
  auto it = data.find(key);
  if (it == data.end() || !it->is_string())
    return {};
  auto decoded = base64_decode(it->get<std::string>());
  return decoded ? *decoded : std::string{};
}

std::string object_key(const kube::Resource& resource, const std::string& ns, const std::string& name) {
  return resource.plural + "/" + (ns.empty() ? "-" : ns) + "/" + name;
}

bool is_federation_token_secret(const Json& secret) {
  return secret.is_object() && secret.value("type", "") == "kubernetes.io/service-account-token" &&
         kube::annotation_of(secret, "kubernetes.io/service-account.name") == calico::kFederationName;
}

int token_generation(const Json& secret) {
  const std::string text = kube::annotation_of(secret, calico::kTokenGenerationAnnotation);
  if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::stoi(text);
}

std::string earlier_account_uid(const Json& token_secret, const std::string& account_uid) {
  std::string filled_for = kube::annotation_of(token_secret, "kubernetes.io/service-account.uid");
  return filled_for.empty() || account_uid.empty() || filled_for == account_uid ? "" : filled_for;
}

int current_token_generation(const LiveState& live, const std::string& ns) {
  int current = 0;
  for (const auto& [key, object] : live.objects) {
    if (is_federation_token_secret(object) && carries_managed_label(object) &&
        kube::metadata_string(object, "namespace") == ns)
      current = std::max(current, token_generation(object));
  }
  return current;
}

const Json* LiveState::find(const DesiredObject& d) const {
  auto it = objects.find(object_key(d.resource, d.namespace_, d.name));
  return it == objects.end() ? nullptr : &it->second;
}

}  // namespace meshctl::mesh
