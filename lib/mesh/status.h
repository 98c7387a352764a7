// meshctl status: every directed link L <- R among the clusters, gathered from
// all clusters in parallel. Data only; lib/output renders it.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "calico/flavour.h"
#include "calico/link_state.h"
#include "calico/names.h"
#include "mesh/credential.h"
#include "mesh/federate.h"
#include "mesh/options.h"
#include "util/outcome.h"

namespace meshctl::mesh {

struct StatusOptions {
  std::string secret_namespace{calico::kCalicoNamespace};
  bool check_credentials = true;  // try each stored kubeconfig against R from this host
  std::vector<std::string> federation_namespaces{std::string(calico::kCalicoNamespace),
                                                 std::string(calico::kLegacyFederationNamespace)};
  // Per request, for the stored credentials tried against R (one retry), as for the clusters' own clients.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  bool services = false;  // --services: the federated Services meshctl made, and what they list
};

struct ObjectCheck {
  std::string kind, namespace_, name;
  bool present = false;
  std::string problem;  // empty when it matches what join writes
};

struct LinkStatus {
  std::string local, remote;
  bool managed = false;     // made by meshctl (labelled)
  bool configured = false;  // an RCC for R exists in L
  calico::LinkState state = calico::LinkState::unknown;
  std::string state_name;                    // link_state_name(state), or "not-configured"
  std::string detail;                        // Typha's words
  std::string source;                        // metrics | logs | kube-controllers
  std::string since;                         // timestamp of the line that set the state
  std::optional<calico::LinkEvent> witness;  // calico-kube-controllers' latest status
  std::vector<ObjectCheck> objects;  // with Disabled routing, the disabled IPPool per pod CIDR of R too
  std::string overlay_routing;       // the RCC's spec.syncOptions.overlayRoutingMode
  // What stops traffic between L and R whatever Typha says (calico/dataplane.h):
  // overlapping pools, different overlays. One line each.
  std::vector<std::string> data_plane;
  CredentialCheck credential;
  bool healthy() const;
  bool misconfigured() const;
};

struct ClusterStatus {
  std::string name, context;
  bool reachable = false;
  Error error;  // when not reachable: why (a lost connection, refused credentials, a Forbidden list...)
  int typha_replicas = 0;
  bool discovered = false;  // found by scanning the kubeconfig, not named
  calico::Flavour flavour;  // read when reachable
};

// A federated Service (meshctl federate) in one cluster: the endpoints it
// lists by source cluster, against the clusters whose backing Service has
// ready endpoints; `seen.missing` names those it does not list.
struct FederatedServiceStatus {
  std::string namespace_, name, backing;
  std::map<std::string, int> ready_by_cluster;
  FederatedTarget seen;
};

struct StatusReport {
  std::vector<ClusterStatus> clusters;
  std::vector<LinkStatus> links;
  std::vector<FederatedServiceStatus> services;  // with StatusOptions::services
  std::vector<std::string> warnings;
  // A named cluster or a stored credential unreachable or unauthorised, then
  // objects missing or wrong (or a pair not configured), then a link not in
  // sync, then only stale failures (Typha must be restarted to re-verify).
  Outcome outcome() const;
  int exit_code() const;
};

StatusReport gather_status(std::vector<Cluster>& clusters, const std::vector<bool>& discovered,
                           const StatusOptions& options);

// status --wait: gathers until every link is healthy, TIMEOUT passes or an
// interrupt comes, calling ON_UNHEALTHY with each report that is not yet.
StatusReport watch_status(std::vector<Cluster>& clusters, const std::vector<bool>& discovered,
                          const StatusOptions& options, std::chrono::milliseconds timeout,
                          const std::function<void(const StatusReport&)>& on_unhealthy);

}  // namespace meshctl::mesh
