// `meshctl contexts` and `meshctl version --context`: what the kubeconfig
// holds, and whether each context reaches an API server that accepts it.
#pragma once

#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/kubeconfig.h"

namespace meshctl::mesh {

struct ContextCheck {
  kube::ContextSummary summary;
  std::string server, auth;  // auth: "exec:aws", "token", ...
  std::string check = "-";   // "-" (not checked), "ok", or the cause
  bool ok = true;
};

struct ContextList {
  std::string current_context;
  bool checked = false;
  std::vector<ContextCheck> contexts;
};

// Every context, resolved; with ContextProbe::connect each is also asked (in
// parallel) for a SelfSubjectAccessReview, which needs an authenticated
// caller as /version does not.
enum class ContextProbe { none, connect };
ContextList inspect_contexts(const kube::Kubeconfig& config, ContextProbe probe,
                             const kube::ClientOptions& options);

// The gitVersion CONTEXT's API server reports.
Result<std::string> server_version(const kube::Kubeconfig& config, const std::string& context,
                                   const kube::ClientOptions& options);

}  // namespace meshctl::mesh
