// Reads what kind of Calico a cluster runs (calico/flavour.h) and judges
// whether a join can work across the clusters' kinds, before any write.
#pragma once

#include <string>
#include <vector>

#include "calico/flavour.h"
#include "kube/client.h"
#include "mesh/problem.h"
#include "util/error.h"

namespace meshctl::mesh {

// Discovery, the APIService, ClusterInformation, LicenseKey, IPPools,
// FelixConfiguration, DatastoreMigrations and the non-cluster-host Typha
// Deployment: discovery first, then the other reads together (one read_all,
// so one round trip and no thread per read). A read that fails (forbidden,
// not served) leaves its fact unknown and is named in Flavour::unread; none
// fails the whole fingerprint.
// status shows the Calico kind only; join and render also judge the data
// plane, whose Nodes list grows with the cluster (one list per preflight).
enum class FlavourReads { calico_kind, with_data_plane };

// meshctl's own disabled IPPools (labelled), at ip_pool_resource(api mode):
// taken from the fingerprint's pool list where the cluster keeps its pools in
// that same resource, else listed in the fingerprint's round, so they cost no
// round trip of their own.
struct OwnPools {
  std::vector<kube::Json> items;
  std::string unlisted;  // why they could not be listed; "" when listed
};

calico::Flavour read_flavour(kube::ClusterApi& client, FlavourReads what, OwnPools* own_pools = nullptr);

struct FlavouredCluster {
  std::string name;  // mesh name
  const calico::Flavour* flavour;
};

struct FlavourRules {
  bool force = false;                  // --force: a migration in progress is not a refusal
  std::string overlay_routing;         // as asked; empty: derived per cluster
  bool overlay_routing_given = false;  // --overlay-routing was given
};

// One Errc::precondition problem each, each naming the cluster(s), the
// cause and the fix: a missing or expired licence (RCC writes are refused),
// a datastore migration in progress, a reader that would sync a native-v3
// remote without its pools and blocks, Enabled routing without an overlay.
std::vector<ClusterProblem> flavour_problems(const std::vector<FlavouredCluster>& clusters,
                                             const FlavourRules& rules);

// Where meshctl writes and lists its IPPools in a cluster of this mode:
// projectcalico.org/v3 where the Calico API server or the native v3 CRDs
// serve it (the API validates and defaults), crd.projectcalico.org/v1 where
// only the v1 CRDs do.
const kube::Resource& ip_pool_resource(calico::ApiMode mode);

// The overlayRoutingMode join writes into the RCCs of this cluster: the one
// asked for, else the one the Calico API server would default to, else
// Enabled (with `note` saying why it could not be derived).
std::string overlay_routing_for(const calico::Flavour& local, const FlavourRules& rules, std::string* note);

}  // namespace meshctl::mesh
