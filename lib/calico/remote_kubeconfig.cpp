#include "calico/remote_kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include "calico/names.h"
#include "util/base64.h"

namespace meshctl::calico {

Secret render_remote_kubeconfig(const RemoteAccess& access) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Config";
  out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << access.cluster_name;
  out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "server" << YAML::Value << access.server;
  if (!access.ca_pem.empty()) {
    out << YAML::Key << "certificate-authority-data" << YAML::Value << base64_encode(access.ca_pem);
  }
  if (!access.tls_server_name.empty()) {
    out << YAML::Key << "tls-server-name" << YAML::Value << access.tls_server_name;
  }
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << std::string(kStoredUserName);
  out << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "token" << YAML::Value << access.token.reveal();
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << std::string(kStoredContextName);
  out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "cluster" << YAML::Value << access.cluster_name;
  out << YAML::Key << "user" << YAML::Value << std::string(kStoredUserName);
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "current-context" << YAML::Value << std::string(kStoredContextName);
  out << YAML::EndMap;
  return Secret(std::string(out.c_str()) + "\n");
}

namespace {

YAML::Node named_entry(const YAML::Node& list, const std::string& name, const char* field) {
  if (!list || !list.IsSequence())
    return {};
  for (const auto& item : list) {
    if (item["name"] && item["name"].as<std::string>() == name)
      return item[field];
  }
  return {};
}

std::string scalar(const YAML::Node& node, const char* key) {
  return node && node[key] && node[key].IsScalar() ? node[key].as<std::string>() : std::string{};
}

}  // namespace

Result<StoredKubeconfigSummary> read_remote_kubeconfig(const std::string& yaml_text) {
  try {
    YAML::Node root = YAML::Load(yaml_text);
    StoredKubeconfigSummary out;
    std::string current = scalar(root, "current-context");
    out.has_current_context = !current.empty();
    YAML::Node context = named_entry(root["contexts"], current, "context");
    YAML::Node cluster = named_entry(root["clusters"], scalar(context, "cluster"), "cluster");
    YAML::Node user = named_entry(root["users"], scalar(context, "user"), "user");
    out.server = scalar(cluster, "server");
    out.tls_server_name = scalar(cluster, "tls-server-name");
    out.insecure = scalar(cluster, "insecure-skip-tls-verify") == "true";
    if (auto ca = scalar(cluster, "certificate-authority-data"); !ca.empty()) {
      auto decoded = base64_decode(ca);
      if (!decoded)
        return decoded.error().wrap("stored kubeconfig: certificate-authority-data");
      out.ca_pem = *decoded;
    }
    out.token = Secret(scalar(user, "token"));
    out.has_exec_or_auth_provider = user && (user["exec"] || user["auth-provider"]);
    return out;
  } catch (const YAML::Exception& e) {
    return Error(Errc::config, std::string("stored kubeconfig is not valid YAML: ") + e.what());
  }
}

}  // namespace meshctl::calico
