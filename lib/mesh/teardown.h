// meshctl leave / teardown: removes what meshctl made, found by its labels.
// Leavers lose every meshctl object (their links and their federation
// identity, which revokes the token peers held); peers lose the links that
// point at a leaver. Hand-made RCCs are reported and kept unless asked.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "calico/names.h"
#include "mesh/options.h"
#include "mesh/problem.h"
#include "util/outcome.h"

namespace meshctl::mesh {

struct TeardownReport;

struct TeardownOptions {
  std::set<std::string> leaving;  // mesh names
  std::string secret_namespace{calico::kCalicoNamespace};
  std::vector<std::string> federation_namespaces{std::string(calico::kCalicoNamespace),
                                                 std::string(calico::kLegacyFederationNamespace)};
  bool include_unmanaged = false;
  bool include_adopted = false;  // delete objects join took over, too (default: release them)
  bool force = false;            // go on when a cluster is unreachable
  bool dry_run = false;
  // When set (and not a dry run): shown what would be deleted, says whether
  // to go on. The clusters are searched once; the answer decides the deletes.
  // A preview with a refused delete is the report itself: nothing is asked.
  std::function<bool(const TeardownReport& preview)> confirm;
};

enum class Removal {
  deleted,
  would_delete,
  already_gone,
  released,  // meshctl's labels and takeover record removed, the object kept
  would_release,
  kept_unmanaged,  // not meshctl's: reported, not deleted
  unlabelled,      // unfederate: federate's label removed from a backing Service
  failed,
};
// "deleted", "would-delete", ... as -o json and the table spell them.
const char* removal_name(Removal removal);

struct DeletedObject {
  std::string cluster, kind, namespace_, name;
  Removal action = Removal::failed;
  std::string detail;
};

struct TeardownReport {
  std::vector<DeletedObject> objects;
  // Clusters that could not be searched, so not cleaned: unreachable, or
  // refusing the credentials or the lists (a failed delete is in objects).
  std::vector<ClusterProblem> unreachable;
  std::vector<std::string> warnings;
  bool dry_run = false;
  bool forced = false;         // --force was given: an unreachable cluster does not stop the others
  bool not_confirmed = false;  // the person asked said no: nothing was deleted
  bool interrupted = false;    // while asking: nothing was deleted
  // A cluster unreachable (nothing deleted without --force; with --force the
  // rest was cleaned), then a delete that failed.
  Outcome outcome() const;
  int exit_code() const;
};

// `discovered[i]` marks clusters found by scanning the kubeconfig rather than
// named by the user. An unreachable named cluster, or an unreachable
// discovered one that some RCC points at, stops the run before any delete
// unless options.force; other unreachable discovered contexts are a warning.
TeardownReport run_teardown(std::vector<Cluster>& clusters, const std::vector<bool>& discovered,
                            const TeardownOptions& options, const ProgressFn& progress);

}  // namespace meshctl::mesh
