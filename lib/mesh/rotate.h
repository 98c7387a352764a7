// meshctl rotate: a new federation credential for each named cluster, handed
// to every peer that stores a link to it, confirmed in sync through the peers'
// Typha, and only then the old credential revoked. No link breaks at any point:
// until the revocation both credentials authenticate.
//
// Secret tokens: generation N+1 of the token Secret is made (calico/names.h)
// and becomes the cluster's current credential for join and status at once;
// revoking deletes the older generations (one meshctl took over is released
// instead, unless include_adopted). A re-run after an interruption finds the
// newer generation still coexisting with an older one and finishes that
// rotation instead of starting another.
//
// Bound tokens (peers store a token with an expiry): every peer gets a fresh
// TokenRequest token; an issued bound token cannot be revoked on its own, so
// the old ones stay valid until they expire, which the report says.
#pragma once

#include <string>
#include <vector>

#include "mesh/options.h"
#include "mesh/preflight.h"
#include "mesh/verify.h"
#include "util/outcome.h"

namespace meshctl::mesh {

struct RotateOptions {
  JoinOptions join;              // namespaces, timeouts, token TTL, dry_run, lab
  bool include_adopted = false;  // delete an old token Secret meshctl took over instead of releasing it
  bool force = false;            // revoke even when some context of the kubeconfig could not be searched
  // No cluster was named: every context is a candidate, and one that cannot
  // be read is skipped (as unsearched) instead of stopping the run.
  bool every_context = false;
};

enum class Rotation { rotated, would_rotate, no_links, incomplete, failed, interrupted };
// "rotated", "would-rotate", ... as -o json and the table spell them.
const char* rotation_name(Rotation rotation);

struct RotatedCluster {
  std::string name, context;
  std::string mode;                   // secret | bound
  std::string credential;             // the new token Secret (secret mode)
  bool resumed = false;               // finished a rotation an earlier run had started
  std::vector<LinkResult> links;      // every peer's link to this cluster, judged by the peer's Typha
  std::vector<std::string> updated;   // peers whose link Secret now holds the new credential
  std::vector<std::string> revoked;   // old token Secrets deleted
  std::vector<std::string> released;  // old token Secrets made before meshctl: kept, labels removed
  Rotation state = Rotation::failed;
  std::string detail;  // why not rotated, or what stays valid
  Outcome outcome = Outcome::ok;
};

struct RotateReport {
  bool dry_run = false;
  bool interrupted = false;
  std::vector<ClusterProblem> problems;    // refusals before any write: a named cluster unreadable
  std::vector<ClusterProblem> unsearched;  // contexts (in .cluster) that could not be searched for links
  std::vector<RotatedCluster> clusters;
  std::vector<std::string> warnings;

  Outcome outcome() const;
};

// `rotated` are the clusters whose credentials change; `others` every other
// context of the kubeconfig, searched (with `rotated`) for links to them.
RotateReport run_rotate(std::vector<Cluster>& rotated, std::vector<Cluster>& others,
                        const RotateOptions& options, const ProgressFn& progress);

}  // namespace meshctl::mesh
