// meshctl join: CLI -> preflight -> federation objects per cluster -> link
// objects per directed pair -> verification through Typha. Every stage runs
// per cluster in parallel; nothing is written unless preflight passed.
#pragma once

#include <string>
#include <vector>

#include "calico/link_state.h"
#include "mesh/apply.h"
#include "mesh/options.h"
#include "mesh/preflight.h"
#include "mesh/verify.h"
#include "util/outcome.h"

namespace meshctl::mesh {

// What preflight found a cluster to run, and what join writes there.
struct ClusterFingerprint {
  std::string name;
  calico::Flavour flavour;
  std::string overlay_routing;
};

struct JoinReport {
  bool dry_run = false;
  std::vector<ClusterFingerprint> clusters;
  bool interrupted = false;
  std::vector<ClusterProblem> preflight_problems;
  std::vector<ObjectResult> objects;
  std::vector<LinkResult> links;
  std::vector<std::string> warnings;
  std::vector<Error> errors;  // failures outside single objects (e.g. token never filled)
  // Clusters that stopped answering (or refused the credentials) after preflight, mid-run.
  std::vector<std::string> unreachable;

  // Preflight problems first (unreachable, usage, precondition), then an
  // interruption, a cluster lost mid-run, a failed write, a link not in sync
  // after --wait, only stale failures. See util/outcome.h.
  Outcome outcome() const;
  int exit_code() const;
};

JoinReport run_join(std::vector<Cluster>& clusters, const JoinOptions& options, const ProgressFn& progress);

}  // namespace meshctl::mesh
