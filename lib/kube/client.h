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

#include "kube/api.h"
#include "kube/exec_credential.h"
#include "kube/kubeconfig.h"
#include "util/result.h"

namespace meshctl::kube {

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  int max_retries = 3;
  // First retry waits about this long; later ones double it (with jitter), up to 10s.
  std::chrono::milliseconds retry_base_delay{200};
  std::string user_agent = "meshctl";
  ExecOptions exec;
};

class Client final : public ClusterApi {
 public:
  static Result<std::unique_ptr<Client>> create(const ResolvedContext& context, const ClientOptions& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& context_name() const;
  const ResolvedContext& context() const;

  Result<Json> create_object(const Resource& r, const std::string& ns, const Json& body);

  // ClusterApi, against the API server of the context.
  Result<Json> get(const Resource& r, const std::string& ns, const std::string& name) override;
  Result<Json> list(const Resource& r, const std::string& ns, const std::string& label_selector = {},
                    const std::string& field_selector = {}) override;
  Result<Json> create_object(const Resource& r, const std::string& ns, const Json& body,
                             const std::string& field_manager, DryRun dry_run) override;
  Result<Json> update_object(const Resource& r, const std::string& ns, const std::string& name,
                             const Json& body, const std::string& field_manager, DryRun dry_run) override;
  std::vector<Result<Json>> read_all(const std::vector<ReadItem>& items) override;
  std::vector<Result<Applied>> apply_all(const std::vector<ApplyItem>& items,
                                         const ApplyOptions& options) override;
  Result<Applied> apply(const Resource& r, const std::string& ns, const std::string& name, const Json& body,
                        const ApplyOptions& options) override;
  Result<Json> merge_patch(const Resource& r, const std::string& ns, const std::string& name,
                           const Json& patch, const std::string& field_manager = {},
                           DryRun dry_run = DryRun::no) override;
  Result<bool> remove(const Resource& r, const std::string& ns, const std::string& name,
                      Propagation propagation = Propagation::background,
                      DryRun dry_run = DryRun::no) override;
  // With a watch, or by polling get() where the caller may not watch.
  Result<Json> wait_for(const Resource& r, const std::string& ns, const std::string& name,
                        const std::function<bool(const Json&)>& ready,
                        std::chrono::milliseconds timeout) override;
  Result<std::string> pod_logs(const std::string& ns, const std::string& pod,
                               const LogOptions& options) override;
  // Streamed on the cluster's shared connection; sent again (from the start) like any GET.
  Status read_pod_logs(const std::string& ns, const std::string& pod, const LogOptions& options,
                       const std::function<void(std::string_view)>& on_text,
                       const std::function<void()>& restart) override;
  // One request however long it takes, where polling would send one a second.
  Result<bool> follow_pod_logs(const std::string& ns, const std::string& pod, const LogOptions& options,
                               const std::function<bool(std::string_view)>& on_text,
                               std::chrono::milliseconds timeout,
                               const std::function<bool()>& cancelled) override;
  Result<std::string> pod_proxy_get(const std::string& ns, const std::string& pod, int port,
                                    const std::string& path) override;
  Result<bool> can_i(const AccessCheck& check) override;
  Result<RulesReview> rules_review(const std::string& ns) override;
  Result<TokenRequestResult> request_token(const std::string& ns, const std::string& service_account,
                                           std::chrono::seconds ttl) override;
  Result<ServerVersion> version() override;
  Result<HttpResponse> request(const std::string& method, const std::string& path_and_query,
                               const std::string& body = {}, const std::string& content_type = {}) override;

 private:
  Result<Applied> applied(Result<HttpResponse> response, const std::string& path) const;
  // A GET's answer; for a list (`list`), with the pages after the first.
  Result<Json> read_answer(Result<HttpResponse> response, const std::string& path, const ReadItem& item);
  // The rest of a list whose first page is `all`, appended to it.
  Status follow_pages(Json& all, const std::string& base, const std::string& accept);
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
