// What a mesh operation is asked to do; filled by the CLI, read by lib/mesh.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "calico/names.h"
#include "mesh/cluster.h"

namespace meshctl::mesh {

enum class TokenMode { secret, bound };

struct JoinOptions {
  std::vector<Member> members;
  std::map<std::string, std::string> server_overrides;  // mesh name -> URL peers use
  std::string federation_namespace{calico::kCalicoNamespace};
  bool federation_namespace_given = false;  // --namespace given: no legacy kube-system lookup
  std::string secret_namespace{calico::kCalicoNamespace};
  // overlayRoutingMode written into the RCCs; empty: per local cluster, as
  // the Calico API server would default it (VXLAN or WireGuard: Enabled).
  std::string overlay_routing;
  TokenMode token_mode = TokenMode::secret;
  std::chrono::seconds token_ttl{std::chrono::hours(24 * 365)};
  std::chrono::seconds token_fill_timeout{60};
  bool wait = true;
  std::chrono::seconds timeout{std::chrono::minutes(3)};
  bool dry_run = false;
  bool force_conflicts = false;
  bool force = false;  // join even while a Calico datastore migration is in progress
  // Per request of the stored-credential probe that tells a stale failure
  // from a broken link (as status uses it).
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  // Restart Typha (as `kubectl rollout restart`) in a cluster whose Typha holds
  // a stale failure, then wait for fresh in-sync lines. Off by default: it
  // restarts a data-plane component.
  bool restart_stale_typha = false;
  bool lab = false;  // the local lab: loopback servers are expected there
  // render: nothing is written, so preflight asks only for the reads (the
  // GitOps tool that applies the result needs the writes, not meshctl).
  bool read_only = false;
  // Data-plane checks not to make (calico::data_plane_checks(), --skip-check).
  std::set<std::string> skipped_checks;
};

// Progress for humans: one short line per step of one cluster.
using ProgressFn = std::function<void(std::string_view cluster, std::string_view message)>;

}  // namespace meshctl::mesh
