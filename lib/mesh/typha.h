// What one cluster's Calico says about its remote clusters: every Typha
// replica of every Typha Deployment (each syncs on its own and each Felix talks
// to one of them, so a link counts as in sync only when every replica says so),
// and calico-kube-controllers as a second witness.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "calico/typha_log.h"
#include "kube/client.h"

namespace meshctl::mesh {

struct ReplicaView {
  std::string pod;
  std::string deployment;  // its k8s-app label: calico-typha or calico-typha-noncluster-host
  std::string source;      // "metrics" or "logs"
  std::string error;       // set when neither could be read
  calico::TyphaReport report;
};

// One link as one cluster's Calico reports it.
struct LinkVerdict {
  calico::LinkEvent event;  // the worst Typha replica's, or the witness's when every replica is silent
  std::string source;       // "metrics", "logs" or "kube-controllers"
  std::optional<calico::LinkEvent> witness;  // calico-kube-controllers' latest status, if any
};

struct TyphaView {
  std::vector<ReplicaView> replicas;
  std::optional<ReplicaView> kube_controllers;  // absent when no such pod runs
  std::string error;                            // listing the pods failed
  Errc error_code = Errc::internal;

  LinkVerdict link(const std::string& remote) const;
  // The Typha Deployments whose replicas were found (sorted, unique).
  std::vector<std::string> deployments() const;
};

struct TyphaReadOptions {
  calico::SecretReaders secrets;     // attributes lines caused by Secret events
  std::optional<int> since_seconds;  // only what was said since then (never a fixed tail)
};

// Reads each replica's whole log since its container started (and its gauge
// where served), and calico-kube-controllers' log.
TyphaView read_typha(kube::ClusterApi& client, const TyphaReadOptions& options);

// Follows the log of every Ready Typha replica, starting `options.since_seconds`
// ago, until that replica reports every link in `remotes` in sync, its log ends
// (a restart) or `timeout` passes. One request per replica for the whole wait,
// where polling would send several a second. A replica that is not Ready
// reports an error at once; the caller decides whether to look again.
TyphaView follow_typha(kube::ClusterApi& client, const TyphaReadOptions& options,
                       const std::vector<std::string>& remotes, std::chrono::milliseconds timeout);

// Restarts every Typha Deployment in calico-system as `kubectl rollout restart`
// does (a new kubectl.kubernetes.io/restartedAt pod-template annotation), the
// only way to make Typha re-verify a link after a failure it never takes back.
// Returns the Deployments restarted.
Result<std::vector<std::string>> restart_typha(kube::ClusterApi& client);

}  // namespace meshctl::mesh
