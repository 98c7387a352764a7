// A Kubernetes API client for one cluster (one resolved kubeconfig context),
// over libcurl with TLS material held in memory. Thread-safe: several threads
// may issue requests on one Client; connections are reused per cluster.
//
// Every error names the context and the request ("iad: GET /api/v1/...: ..."),
// maps an API Status body to a typed Errc, and keeps transport failures apart.
// Only safe requests are retried (429 always; 5xx and transport errors on GET),
// with exponential backoff.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/exec_credential.h"
#include "kube/kubeconfig.h"
#include "util/result.h"

namespace meshctl::kube {

using Json = nlohmann::json;

// Where a kind of object lives in the REST tree.
struct Resource {
  std::string group;    // "" for core
  std::string version;  // "v1"
  std::string plural;   // "secrets"
  bool namespaced = true;
};

namespace resources {
extern const Resource namespaces, service_accounts, secrets, pods, nodes, services, endpoints, cluster_roles,
    cluster_role_bindings, roles, role_bindings, deployments, remote_cluster_configurations, ip_pools,
    crd_ip_pools, service_cidrs;
}  // namespace resources

// Builds a REST path, e.g. /apis/rbac.authorization.k8s.io/v1/namespaces/x/roles/y.
std::string resource_path(const Resource& r, const std::string& ns, const std::string& name = {});

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  int max_retries = 3;
  // First retry waits about this long; later ones double it (with jitter), up to 10s.
  std::chrono::milliseconds retry_base_delay{200};
  std::string user_agent = "meshctl";
  ExecOptions exec;
};

enum class Force { no, yes };
enum class DryRun { no, yes };
enum class Propagation { background, foreground, orphan };

struct ApplyOptions {
  std::string field_manager = "meshctl";
  Force force = Force::no;
  DryRun dry_run = DryRun::no;
};

struct LogOptions {
  std::string container;
  std::optional<int> tail_lines;
  std::optional<int> since_seconds;
};

// What a server-side apply returned.
struct Applied {
  Json object;
  bool created = false;  // 201: the object did not exist before
};

// One rule of a SelfSubjectRulesReview answer.
struct ResourceRule {
  std::vector<std::string> verbs, api_groups, resources, resource_names;
};

struct RulesReview {
  std::vector<ResourceRule> rules;
  // The authorizer could not list everything (e.g. a webhook authorizer): a
  // permission missing from `rules` may still be granted; ask can_i().
  bool incomplete = false;
};

struct ServerVersion {
  std::string git_version;  // "v1.33.13"
  std::string major, minor;
};

struct TokenRequestResult {
  Secret token;
  std::chrono::system_clock::time_point expiry;
};

struct AccessCheck {
  std::string verb, group, resource, namespace_name, name;
  std::string subresource;  // "log" for pods/log
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
};

class Client {
 public:
  static Result<std::unique_ptr<Client>> create(const ResolvedContext& context, const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& context_name() const;
  const ResolvedContext& context() const;

  Result<Json> get(const Resource& r, const std::string& ns, const std::string& name);
  Result<Json> list(const Resource& r, const std::string& ns, const std::string& label_selector = {},
                    const std::string& field_selector = {});
  Result<Json> create_object(const Resource& r, const std::string& ns, const Json& body);
  // POST / PUT for servers that refuse server-side apply; `body` carries the
  // resourceVersion it updates (a 409 when the object changed meanwhile).
  Result<Json> create_object(const Resource& r, const std::string& ns, const Json& body,
                             const std::string& field_manager, DryRun dry_run);
  Result<Json> update_object(const Resource& r, const std::string& ns, const std::string& name,
                             const Json& body, const std::string& field_manager, DryRun dry_run);
  // Server-side apply: PATCH application/apply-patch+yaml (JSON is valid YAML)
  // with fieldManager, force and dryRun=All as asked. Returns the object as the
  // server has (or would have) it.
  Result<Applied> apply(const Resource& r, const std::string& ns, const std::string& name, const Json& body,
                        const ApplyOptions& options);
  // NotFound counts as success. Returns true when something was deleted.
  // JSON merge patch (RFC 7386) of an object meshctl does not own, e.g. the
  // pod-template annotation `kubectl rollout restart` sets.
  Result<Json> merge_patch(const Resource& r, const std::string& ns, const std::string& name,
                           const Json& patch, const std::string& field_manager = {},
                           DryRun dry_run = DryRun::no);
  Result<bool> remove(const Resource& r, const std::string& ns, const std::string& name,
                      Propagation propagation = Propagation::background, DryRun dry_run = DryRun::no);
  // Waits until `ready(object)` is true or the timeout passes: Errc::not_ready,
  // or the transport error when the server stopped answering; Errc::interrupted
  // on SIGINT/SIGTERM. With a watch, or by polling get() where the caller may
  // not watch.
  Result<Json> wait_for(const Resource& r, const std::string& ns, const std::string& name,
                        const std::function<bool(const Json&)>& ready, std::chrono::milliseconds timeout);
  Result<std::string> pod_logs(const std::string& ns, const std::string& pod, const LogOptions& options);
  // Follows a pod's log (follow=true), handing `on_text` the text as it
  // arrives, until on_text returns false (then true is returned), the container
  // stops (false), `timeout` passes or `cancelled` says so (errors). One request
  // however long it takes, where polling would send one a second.
  Result<bool> follow_pod_logs(const std::string& ns, const std::string& pod, const LogOptions& options,
                               const std::function<bool(std::string_view)>& on_text,
                               std::chrono::milliseconds timeout, const std::function<bool()>& cancelled);
  // GET /api/v1/namespaces/NS/pods/POD:PORT/proxy/PATH
  Result<std::string> pod_proxy_get(const std::string& ns, const std::string& pod, int port,
                                    const std::string& path);
  // SelfSubjectAccessReview: may the caller do this?
  Result<bool> can_i(const AccessCheck& check);
  // SelfSubjectRulesReview: everything the caller may do in a namespace (rules
  // from ClusterRoleBindings included), in one request.
  Result<RulesReview> rules_review(const std::string& ns);
  // TokenRequest for a ServiceAccount with the given lifetime.
  Result<TokenRequestResult> request_token(const std::string& ns, const std::string& service_account,
                                           std::chrono::seconds ttl);
  Result<ServerVersion> version();

  // Raw request, for what the verbs above do not cover. Non-2xx answers become errors.
  Result<HttpResponse> request(const std::string& method, const std::string& path_and_query,
                               const std::string& body = {}, const std::string& content_type = {});

 private:
  Result<std::optional<Json>> watch_until(const Resource& r, const std::string& ns, const std::string& name,
                                          const std::function<bool(const Json&)>& ready,
                                          std::chrono::milliseconds timeout);

  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Does one of the rules grant the check? RBAC semantics: "*" matches any verb,
// group or resource; a rule with resourceNames grants only those names (and so
// never a list or a create). Exposed for tests.
bool rules_allow(const std::vector<ResourceRule>& rules, const AccessCheck& check);

// Maps an HTTP status and a Kubernetes Status body to an Error. `what` names the
// context and request; used by Client and exposed for tests and fuzzing.
Error decode_api_error(long http_status, const std::string& body, const std::string& what);

}  // namespace meshctl::kube
