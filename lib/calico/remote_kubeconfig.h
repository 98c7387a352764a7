// The kubeconfig Typha in L loads (with client-go) to reach remote R. It holds
// exactly one cluster, one token user and one context with current-context
// set; never an exec or auth-provider user (no plugins exist inside Typha's
// container), never the operator's own credentials, never
// insecure-skip-tls-verify.
#pragma once

#include <string>

#include "util/result.h"
#include "util/secret.h"

namespace meshctl::calico {

struct RemoteAccess {
  std::string cluster_name;  // R's mesh name
  std::string server;        // as reachable from inside L
  std::string ca_pem;        // R's CA; empty when R's certificate is publicly trusted
  std::string tls_server_name;
  Secret token;  // the federation ServiceAccount's token in R
};

// Renders the kubeconfig as YAML. The result contains the token: treat it as
// secret material (it is only ever placed into a Secret's data).
Secret render_remote_kubeconfig(const RemoteAccess& access);

// What a stored kubeconfig says, read back for status and tests.
struct StoredKubeconfigSummary {
  std::string server;
  std::string ca_pem;
  std::string tls_server_name;
  Secret token;
  bool has_current_context = false;
  bool has_exec_or_auth_provider = false;
  bool insecure = false;
};

Result<StoredKubeconfigSummary> read_remote_kubeconfig(const std::string& yaml_text);

}  // namespace meshctl::calico
