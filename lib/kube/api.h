// What a Kubernetes API client offers lib/mesh: where objects live, the
// options and answers of its operations, and the operations themselves
// (ClusterApi), apart from how they reach a server (kube/client.h).
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"
#include "util/secret.h"

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

// One object of apply_all(); the pointers outlive the call.
struct ApplyItem {
  const Resource* resource;
  std::string ns;
  std::string name;
  const Json* body;
};

// One read of read_all(): a GET of `name`, or when it is empty a LIST
// (every page) with the selector. The resource outlives the call.
struct ReadItem {
  const Resource* resource;
  std::string ns;
  std::string name;
  std::string label_selector;
  // A LIST whose items the caller reads only the metadata of: the API server
  // then sends just that (PartialObjectMetadataList), which for a Node leaves
  // out its status (images, conditions: often 10-20 KB). Servers that cannot
  // send it answer with the full list, and an implementation may too.
  bool metadata_only = false;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
};

// The API operations lib/mesh uses on one cluster. kube::Client implements
// them against a real API server; the unit tests' in-memory fake cluster
// (test/unit/fake_cluster.h) implements them too, so that mesh decisions can
// be tested without one.
class ClusterApi {
 public:
  virtual ~ClusterApi() = default;

  virtual Result<Json> get(const Resource& r, const std::string& ns, const std::string& name) = 0;
  virtual Result<Json> list(const Resource& r, const std::string& ns, const std::string& label_selector = {},
                            const std::string& field_selector = {}) = 0;
  // Several reads at once, answers in order. kube::Client sends them
  // together on the cluster's connection from the calling thread; this
  // default reads them one after another.
  virtual std::vector<Result<Json>> read_all(const std::vector<ReadItem>& items) {
    std::vector<Result<Json>> out;
    for (const auto& item : items) {
      out.push_back(item.name.empty() ? list(*item.resource, item.ns, item.label_selector)
                                      : get(*item.resource, item.ns, item.name));
    }
    return out;
  }
  // POST / PUT for servers that refuse server-side apply; `body` carries the
  // resourceVersion it updates (a 409 when the object changed meanwhile).
  virtual Result<Json> create_object(const Resource& r, const std::string& ns, const Json& body,
                                     const std::string& field_manager, DryRun dry_run) = 0;
  virtual Result<Json> update_object(const Resource& r, const std::string& ns, const std::string& name,
                                     const Json& body, const std::string& field_manager, DryRun dry_run) = 0;
  // Server-side apply: PATCH application/apply-patch+yaml (JSON is valid YAML)
  // with fieldManager, force and dryRun=All as asked. Returns the object as the
  // server has (or would have) it.
  virtual Result<Applied> apply(const Resource& r, const std::string& ns, const std::string& name,
                                const Json& body, const ApplyOptions& options) = 0;
  // Several server-side applies at once, answers in order. kube::Client sends
  // them together on the cluster's connection from the calling thread; this
  // default sends them one after another.
  virtual std::vector<Result<Applied>> apply_all(const std::vector<ApplyItem>& items,
                                                 const ApplyOptions& options) {
    std::vector<Result<Applied>> out;
    for (const auto& item : items)
      out.push_back(apply(*item.resource, item.ns, item.name, *item.body, options));
    return out;
  }
  // JSON merge patch (RFC 7386) of an object meshctl does not own, e.g. the
  // pod-template annotation `kubectl rollout restart` sets.
  virtual Result<Json> merge_patch(const Resource& r, const std::string& ns, const std::string& name,
                                   const Json& patch, const std::string& field_manager = {},
                                   DryRun dry_run = DryRun::no) = 0;
  // NotFound counts as success. Returns true when something was deleted.
  virtual Result<bool> remove(const Resource& r, const std::string& ns, const std::string& name,
                              Propagation propagation = Propagation::background,
                              DryRun dry_run = DryRun::no) = 0;
  // Waits until `ready(object)` is true or the timeout passes: Errc::not_ready,
  // or the transport error when the server stopped answering; Errc::interrupted
  // on SIGINT/SIGTERM.
  virtual Result<Json> wait_for(const Resource& r, const std::string& ns, const std::string& name,
                                const std::function<bool(const Json&)>& ready,
                                std::chrono::milliseconds timeout) = 0;
  virtual Result<std::string> pod_logs(const std::string& ns, const std::string& pod,
                                       const LogOptions& options) = 0;
  // Reads a pod's log (without following it) as it arrives: `on_text` gets
  // it in pieces, and `restart` is called when the read starts over from the
  // beginning (a request sent again), so a reader holds only what it keeps.
  // This default reads the log whole through pod_logs.
  virtual Status read_pod_logs(const std::string& ns, const std::string& pod, const LogOptions& options,
                               const std::function<void(std::string_view)>& on_text,
                               const std::function<void()>& restart) {
    auto text = pod_logs(ns, pod, options);
    if (!text)
      return text.error();
    (void)restart;
    on_text(*text);
    return {};
  }
  // Follows a pod's log (follow=true), handing `on_text` the text as it
  // arrives, until on_text returns false (then true is returned), the container
  // stops (false), `timeout` passes or `cancelled` says so (errors).
  virtual Result<bool> follow_pod_logs(const std::string& ns, const std::string& pod,
                                       const LogOptions& options,
                                       const std::function<bool(std::string_view)>& on_text,
                                       std::chrono::milliseconds timeout,
                                       const std::function<bool()>& cancelled) = 0;
  // GET /api/v1/namespaces/NS/pods/POD:PORT/proxy/PATH
  virtual Result<std::string> pod_proxy_get(const std::string& ns, const std::string& pod, int port,
                                            const std::string& path) = 0;
  // SelfSubjectAccessReview: may the caller do this?
  virtual Result<bool> can_i(const AccessCheck& check) = 0;
  // SelfSubjectRulesReview: everything the caller may do in a namespace (rules
  // from ClusterRoleBindings included), in one request.
  virtual Result<RulesReview> rules_review(const std::string& ns) = 0;
  // TokenRequest for a ServiceAccount with the given lifetime.
  virtual Result<TokenRequestResult> request_token(const std::string& ns, const std::string& service_account,
                                                   std::chrono::seconds ttl) = 0;
  virtual Result<ServerVersion> version() = 0;
  // Raw request, for what the verbs above do not cover. Non-2xx answers become errors.
  virtual Result<HttpResponse> request(const std::string& method, const std::string& path_and_query,
                                       const std::string& body = {},
                                       const std::string& content_type = {}) = 0;
};

}  // namespace meshctl::kube
