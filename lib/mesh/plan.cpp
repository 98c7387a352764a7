#include "mesh/plan.h"

#include <fmt/format.h>

#include <iterator>

#include "calico/names.h"
#include "util/base64.h"

namespace meshctl::mesh {
namespace {

Result<DesiredObject> make(const char* manifest, const kube::Resource& resource, const char* kind,
                           const std::map<std::string, std::string>& vars, const std::string& remote = {}) {
  TRY_ASSIGN(Json body, render_manifest(manifest, vars));
  DesiredObject obj;
  obj.resource = resource;
  obj.kind = kind;
  obj.name = body["metadata"].value("name", "");
  obj.namespace_ = resource.namespaced ? body["metadata"].value("namespace", "") : "";
  obj.remote = remote;
  obj.body = std::move(body);
  return obj;
}

bool is_loopback_url(const std::string& url) {
  auto host_start = url.find("://");
  std::string rest = host_start == std::string::npos ? url : url.substr(host_start + 3);
  return rest.rfind("127.", 0) == 0 || rest.rfind("localhost", 0) == 0 || rest.rfind("[::1]", 0) == 0;
}

}  // namespace

calico::RemoteAccess offered_access(const Cluster& c, Secret token, const std::string& token_ca,
                                    const JoinOptions& o, std::vector<std::string>& warnings) {
  const std::string& name = c.member.mesh_name;
  calico::RemoteAccess access;
  access.cluster_name = name;
  auto override_it = o.server_overrides.find(name);
  access.server = override_it != o.server_overrides.end() ? override_it->second : c.context.cluster.server;
  access.ca_pem = c.context.cluster.ca_pem;
  access.tls_server_name = c.context.cluster.tls_server_name;
  access.token = std::move(token);
  if (access.ca_pem.empty() && c.context.cluster.insecure_skip_tls_verify) {
    access.ca_pem = token_ca;
    warnings.push_back(
        c.member.context +
        ": the kubeconfig skips TLS verification; peers will verify with the cluster's root CA");
  }
  if (is_loopback_url(access.server)) {
    warnings.push_back(
        o.lab
            ? fmt::format("{}: storing loopback address {} for peers (expected in the local lab)",
                          c.member.context, access.server)
            : fmt::format("{}: peers would be given {}, a loopback address no other cluster can reach; pass "
                          "--server {}=https://<address reachable from the other clusters>",
                          c.member.context, access.server, name));
  }
  return access;
}

Result<std::vector<DesiredObject>> federation_objects(const std::string& cluster,
                                                      const std::string& federation_ns,
                                                      bool reuse_legacy_service_account,
                                                      const JoinOptions& options, int token_generation) {
  namespace r = kube::resources;
  std::map<std::string, std::string> vars{
      {"CLUSTER", cluster},
      {"FEDERATION_NAMESPACE", federation_ns},
      {"TOKEN_SECRET_NAME", calico::federation_token_secret_name(token_generation)}};
  std::vector<DesiredObject> out;
  if (!reuse_legacy_service_account) {
    TRY_ASSIGN(auto sa, make("federation-serviceaccount", r::service_accounts, "ServiceAccount", vars));
    out.push_back(std::move(sa));
  }
  // The RBAC objects name the ServiceAccount but do not need it to exist:
  // they go in its round. The token Secret waits for the ServiceAccount, or
  // the token controller would delete it as belonging to no account.
  TRY_ASSIGN(auto role, make("federation-clusterrole", r::cluster_roles, "ClusterRole", vars));
  role.order = out.empty() ? WriteOrder::after_previous : WriteOrder::with_previous;
  out.push_back(std::move(role));
  TRY_ASSIGN(auto binding,
             make("federation-clusterrolebinding", r::cluster_role_bindings, "ClusterRoleBinding", vars));
  binding.order = WriteOrder::with_previous;
  out.push_back(std::move(binding));
  TRY_ASSIGN(auto role_v3, make("federation-clusterrole-v3", r::cluster_roles, "ClusterRole", vars));
  role_v3.order = WriteOrder::with_previous;
  out.push_back(std::move(role_v3));
  TRY_ASSIGN(auto binding_v3,
             make("federation-clusterrolebinding-v3", r::cluster_role_bindings, "ClusterRoleBinding", vars));
  binding_v3.order = WriteOrder::with_previous;
  out.push_back(std::move(binding_v3));
  if (options.token_mode == TokenMode::secret) {
    TRY_ASSIGN(auto token, make("federation-token-secret", r::secrets, "Secret", vars));
    if (token_generation > 0) {
      token.body["metadata"]["annotations"][std::string(calico::kTokenGenerationAnnotation)] =
          std::to_string(token_generation);
    }
    out.push_back(std::move(token));
  }
  return out;
}

Result<std::vector<DesiredObject>> remote_pool_objects(const std::string& local, const std::string& remote,
                                                       const RemotePools& remote_pools) {
  std::vector<DesiredObject> out;
  for (const auto& pool : remote_pools.pools) {
    const bool v6 = pool.cidr.find(':') != std::string::npos;
    const int block_size = pool.block_size > 0 ? pool.block_size : (v6 ? 122 : 26);  // Calico's defaults
    std::map<std::string, std::string> vars{{"CLUSTER", local},
                                            {"REMOTE", remote},
                                            {"POOL_NAME", calico::remote_pool_name(remote, pool.cidr)},
                                            {"CIDR", pool.cidr},
                                            {"BLOCK_SIZE", std::to_string(block_size)}};
    TRY_ASSIGN(auto object, make("link-ippool", remote_pools.resource, "IPPool", vars, remote));
    object.body["apiVersion"] = remote_pools.resource.group + "/" + remote_pools.resource.version;
    // Manifests render every scalar as a string (a cluster named "123" stays
    // a name); these three fields are typed in the API.
    Json& spec = object.body["spec"];
    spec["blockSize"] = block_size;
    spec["disabled"] = true;
    spec["natOutgoing"] = false;
    out.push_back(std::move(object));
  }
  return out;
}

Result<std::vector<DesiredObject>> link_objects(const std::string& local, const calico::RemoteAccess& remote,
                                                const std::string& overlay_routing,
                                                const RemotePools& remote_pools, const JoinOptions& options) {
  namespace r = kube::resources;
  std::map<std::string, std::string> vars{
      {"CLUSTER", local},
      {"REMOTE", remote.cluster_name},
      {"SECRET_NAME", calico::remote_secret_name(remote.cluster_name)},
      {"SECRET_NAMESPACE", options.secret_namespace},
      {"OVERLAY_ROUTING", overlay_routing},
  };
  std::vector<DesiredObject> out;
  TRY_ASSIGN(auto secret, make("link-secret", r::secrets, "Secret", vars, remote.cluster_name));
  secret.holds_credentials = true;
  secret.body["data"] = {
      {"datastoreType", base64_encode("kubernetes")},
      {"kubeconfig", base64_encode(calico::render_remote_kubeconfig(remote).reveal())},
  };
  out.push_back(std::move(secret));
  // Typha reads the Secret, with the Role's grant, once it sees the RCC: those
  // (and the pools) go in one round, the RCC after them.
  TRY_ASSIGN(auto role, make("link-role", r::roles, "Role", vars, remote.cluster_name));
  role.order = WriteOrder::with_previous;
  out.push_back(std::move(role));
  TRY_ASSIGN(auto binding,
             make("link-rolebinding", r::role_bindings, "RoleBinding", vars, remote.cluster_name));
  binding.order = WriteOrder::with_previous;
  out.push_back(std::move(binding));
  if (overlay_routing == "Disabled") {
    TRY_ASSIGN(auto pools, remote_pool_objects(local, remote.cluster_name, remote_pools));
    for (auto& pool : pools)
      pool.order = WriteOrder::with_previous;
    std::move(pools.begin(), pools.end(), std::back_inserter(out));
  }
  TRY_ASSIGN(auto rcc, make("link-remoteclusterconfiguration", r::remote_cluster_configurations,
                            "RemoteClusterConfiguration", vars, remote.cluster_name));
  out.push_back(std::move(rcc));
  return out;
}

}  // namespace meshctl::mesh
