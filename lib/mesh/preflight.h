// Checks made before anything is written, and the reads join needs anyway,
// done together so a join costs few requests: per cluster one
// SelfSubjectRulesReview (reachability, credentials and every permission), one
// namespace list (the namespaces exist; kube-system's UID tells two contexts
// of the same cluster apart), and the lists that show what meshctl already
// has there (ServiceAccount, Secrets, Roles, RoleBindings, RCCs; the RCC
// list also proves the RemoteClusterConfiguration API is served), and the
// Calico fingerprint (mesh/fingerprint.h) the mesh-wide rules judge.
#pragma once

#include <string>
#include <vector>

#include "calico/flavour.h"
#include "mesh/objects.h"
#include "mesh/options.h"
#include "mesh/plan.h"
#include "mesh/problem.h"
#include "util/outcome.h"

namespace meshctl::mesh {

struct PreflightFacts {
  std::string kube_system_uid;
  std::string federation_namespace;          // where the federation ServiceAccount lives
  int token_generation = 0;                  // of the current federation token Secret (after rotations)
  bool legacy_federation_namespace = false;  // found in kube-system from older manifests
  LiveState live;                            // what join will compare its objects with
  calico::Flavour flavour;                   // what kind of Calico runs there
  std::string overlay_routing;               // written into this cluster's RCCs
  std::string pools_unlisted;                // why meshctl's IPPools here could not be listed; "" when listed
};

struct PreflightReport {
  std::vector<PreflightFacts> facts;  // index-aligned with the clusters
  std::vector<ClusterProblem> problems;
  std::vector<std::string> warnings;
  bool ok() const { return problems.empty(); }
};

// What L writes for remote R under Disabled routing: R's enabled pod pools as
// its fingerprint read them (none when unread: preflight refuses Disabled
// routing then), in the group L keeps its pools in.
RemotePools remote_pools(const PreflightFacts& local, const PreflightFacts& remote);

// What preflight problems end a command with: unreachable or
// unauthenticated, else local configuration, else precondition.
Outcome preflight_outcome(const std::vector<ClusterProblem>& problems);

PreflightReport run_preflight(std::vector<Cluster>& clusters, const JoinOptions& options);

// The permissions join needs, as "verb resource[.group] [in namespace NS]" lines.
std::vector<std::string> required_permissions(const JoinOptions& options);

}  // namespace meshctl::mesh
