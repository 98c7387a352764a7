// An in-memory cluster for unit tests of lib/mesh's decisions: a
// kube::ClusterApi that stores objects, filters lists by label and field
// selectors, serves the API groups it is told to (a resource of another group
// is NotFound, as on a real server), answers permission checks from a deny
// list and records every write. It is deliberately plain: no admission, no
// controllers, no field ownership. How a real API server behaves is judged by
// the end-to-end suite against the lab; this makes the choices meshctl takes
// from what it reads testable in milliseconds.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "kube/api.h"

namespace meshctl::test {

class FakeCluster final : public kube::ClusterApi {
 public:
  // Calico's API as the cluster serves it.
  enum class Calico {
    api_server,  // projectcalico.org/v3 through the Calico API server, stored in crd.projectcalico.org/v1
    native_v3,   // projectcalico.org/v3 CRDs only
    none,        // no Calico API at all
  };
  explicit FakeCluster(Calico calico = Calico::api_server);

  // Stores OBJECT (metadata.name and, for namespaced resources,
  // metadata.namespace) as it is; a uid and resourceVersion are added.
  void put(const kube::Resource& r, kube::Json object);
  const kube::Json* find(const kube::Resource& r, const std::string& ns, const std::string& name) const;
  size_t count(const kube::Resource& r) const;
  // "verb group/resource", e.g. "create rbac.authorization.k8s.io/roles": refused
  // to the caller (SelfSubjectAccessReview says no; the rules review is
  // incomplete), and the request itself is Forbidden (apply is "patch"; get and list too).
  void deny(const std::string& verb, const std::string& group, const std::string& resource);
  void set_pod_log(const std::string& ns, const std::string& pod, std::string text);
  // Every write as "VERB plural ns/name" ("apply secrets calico-system/x"), dry runs excluded.
  std::vector<std::string> writes() const;
  // Behave as Kubernetes' token controller for ServiceAccount token Secrets
  // written from now on: fill data.token and data.ca.crt and record the
  // account's UID, as soon as the Secret is written (the real one takes a
  // moment; join's wait for it is tested against the lab).
  void fill_tokens();

  Result<kube::Json> get(const kube::Resource& r, const std::string& ns, const std::string& name) override;
  Result<kube::Json> list(const kube::Resource& r, const std::string& ns,
                          const std::string& label_selector = {},
                          const std::string& field_selector = {}) override;
  Result<kube::Json> create_object(const kube::Resource& r, const std::string& ns, const kube::Json& body,
                                   const std::string& field_manager, kube::DryRun dry_run) override;
  Result<kube::Json> update_object(const kube::Resource& r, const std::string& ns, const std::string& name,
                                   const kube::Json& body, const std::string& field_manager,
                                   kube::DryRun dry_run) override;
  Result<kube::Applied> apply(const kube::Resource& r, const std::string& ns, const std::string& name,
                              const kube::Json& body, const kube::ApplyOptions& options) override;
  Result<kube::Json> merge_patch(const kube::Resource& r, const std::string& ns, const std::string& name,
                                 const kube::Json& patch, const std::string& field_manager = {},
                                 kube::DryRun dry_run = kube::DryRun::no) override;
  Result<bool> remove(const kube::Resource& r, const std::string& ns, const std::string& name,
                      kube::Propagation propagation = kube::Propagation::background,
                      kube::DryRun dry_run = kube::DryRun::no) override;
  // Answers at once: the object when READY says so, else Errc::not_ready.
  Result<kube::Json> wait_for(const kube::Resource& r, const std::string& ns, const std::string& name,
                              const std::function<bool(const kube::Json&)>& ready,
                              std::chrono::milliseconds timeout) override;
  Result<std::string> pod_logs(const std::string& ns, const std::string& pod,
                               const kube::LogOptions& options) override;
  // Hands over the whole log once; then the stream ends (the container stopped).
  Result<bool> follow_pod_logs(const std::string& ns, const std::string& pod, const kube::LogOptions& options,
                               const std::function<bool(std::string_view)>& on_text,
                               std::chrono::milliseconds timeout,
                               const std::function<bool()>& cancelled) override;
  Result<std::string> pod_proxy_get(const std::string& ns, const std::string& pod, int port,
                                    const std::string& path) override;
  Result<bool> can_i(const kube::AccessCheck& check) override;
  Result<kube::RulesReview> rules_review(const std::string& ns) override;
  Result<kube::TokenRequestResult> request_token(const std::string& ns, const std::string& service_account,
                                                 std::chrono::seconds ttl) override;
  Result<kube::ServerVersion> version() override;
  // GET /apis (discovery); anything else is NotFound.
  Result<kube::HttpResponse> request(const std::string& method, const std::string& path_and_query,
                                     const std::string& body = {},
                                     const std::string& content_type = {}) override;

 private:
  struct Key {
    std::string resource, ns, name;  // resource: "group/version/plural"
    auto operator<=>(const Key&) const = default;
  };
  Key key(const kube::Resource& r, const std::string& ns, const std::string& name) const;
  Status served(const kube::Resource& r) const;
  Status allowed(const std::string& verb, const kube::Resource& r) const;
  kube::Json stamped(kube::Json object);
  void fill_token_of(kube::Json& secret) const;
  void record(const std::string& verb, const kube::Resource& r, const std::string& ns,
              const std::string& name);

  mutable std::mutex mutex_;
  std::set<std::string> groups_;  // "group/version" served
  std::map<Key, kube::Json> objects_;
  std::set<std::string> denied_;
  std::map<std::string, std::string> logs_;  // "ns/pod" -> text
  std::vector<std::string> writes_;
  int next_version_ = 1;
  bool fill_tokens_ = false;
};

// Shorthands for objects as the API holds them.
kube::Json object_named(const std::string& ns, const std::string& name,
                        kube::Json labels = kube::Json::object());

}  // namespace meshctl::test
