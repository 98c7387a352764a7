// meshctl federate / unfederate: a Service that answers from every cluster of
// the mesh (calico-mesh.md, "Federated services"). meshctl labels the backing
// Service in each member and creates the selector-less federated Service
// whose Endpoints Calico's federated-services controller fills; it then reads
// those Endpoints (and the EndpointSlices Kubernetes mirrors from them) until
// every cluster with ready backends is listed. Data only; lib/output renders.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "mesh/apply.h"
#include "mesh/cluster.h"
#include "mesh/options.h"
#include "mesh/preflight.h"
#include "mesh/teardown.h"
#include "util/outcome.h"

namespace meshctl::mesh {

struct FederateOptions {
  std::string service;                 // the backing Service, by name, in every member
  std::string namespace_;              // the controller federates within one namespace only
  std::string name;                    // of the federated Service; default "<service>-federated"
  std::string label_key, label_value;  // put on the backing Services; the annotation selects them
  std::vector<std::string> targets;    // mesh names that get the federated Service; empty: every member
  bool wait = true;
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  bool dry_run = false;
};

// The default label: one per federated Service, so two federations of the
// same backing Service never select each other's.
inline constexpr std::string_view kFederatedAsLabel = "meshctl.projectcalico.org/federated-as";

// The Calico selector the annotation carries: `key == "value"`.
std::string federation_selector(const FederateOptions& options);

// The field manager that owns the label on backing Services: unfederate
// applies an empty intent under it, so server-side apply removes the label
// only where no one else set it too.
std::string federation_field_manager(const FederateOptions& options);

struct BackingService {
  std::string cluster;
  bool exists = false;
  int ready_endpoints = 0;          // in its EndpointSlices
  Action action = Action::skipped;  // the label: create (added), unchanged (already there), failed
  std::string error;
};

struct FederatedTarget {
  std::string cluster;
  Action action = Action::skipped;  // the federated Service: create, update, unchanged, failed
  std::string error;
  std::map<std::string, int> endpoints_by_source;  // Endpoints addresses by cluster (targetRef "<rcc>/<pod>")
  int mirrored = 0;                                // addresses in the EndpointSlices mirrored from them
  std::vector<std::string> missing;                // clusters with ready backends it does not list yet
  bool complete() const { return error.empty() && missing.empty(); }
};

struct FederateReport {
  std::vector<ClusterProblem> problems;
  std::vector<BackingService> backing;
  std::vector<FederatedTarget> targets;
  std::vector<std::string> warnings;
  bool dry_run = false, waited = false;
  Outcome outcome() const;
  int exit_code() const;
};

// Fills what the flags leave to defaults (the federated Service's name, the
// label from SELECTOR "KEY=VALUE" or kFederatedAsLabel); Errc::usage for a
// missing namespace, a name equal to the backing Service's, or a selector
// that is not KEY=VALUE.
Status complete_options(FederateOptions& options, const std::string& selector);

// --in: mesh names or contexts of CLUSTERS, as mesh names; Errc::usage for
// one that is not among them.
Result<std::vector<std::string>> resolve_targets(const std::vector<std::string>& in,
                                                 const std::vector<Cluster>& clusters);

FederateReport run_federate(std::vector<Cluster>& clusters, const FederateOptions& options,
                            const ProgressFn& progress);

struct UnfederateReport {
  std::vector<DeletedObject> changes;  // actions: deleted, would-delete, unlabelled, kept-unmanaged, failed
  bool dry_run = false;
  Outcome outcome() const;
  int exit_code() const;
};

// Removes exactly what federate made: the federated Services carrying
// meshctl's label, and the backing Services' label where only federate set it.
UnfederateReport run_unfederate(std::vector<Cluster>& clusters, const FederateOptions& options);

// Ready endpoints of Service ns/service in one cluster, from its EndpointSlices.
int ready_endpoints(kube::ClusterApi& client, const std::string& ns, const std::string& service);

// What the federated Service ns/name in `local` lists (its Endpoints and the
// EndpointSlices mirrored from them), and which clusters with ready backends
// (`ready_by_cluster`) it does not list yet.
FederatedTarget read_federated(kube::ClusterApi& client, const std::string& local, const std::string& ns,
                               const std::string& name, const std::map<std::string, int>& ready_by_cluster);

// The endpoints of a federated Service in `local`, by source cluster: an
// address whose targetRef names "<rcc>/<pod>" came from that remote, any
// other from `local` itself.
std::map<std::string, int> endpoints_by_source(const kube::Json& endpoints, const std::string& local);

}  // namespace meshctl::mesh
