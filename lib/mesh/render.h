// meshctl render: the objects join would write, per cluster and in apply
// order, for GitOps tools to apply. Read-only against the clusters: the same
// preflight as join (asking only for the reads), then per cluster the
// federation objects and one link per remote, as join plans them.
//
// Credentials are the one part join makes at apply time: a link Secret holds
// the remote's federation token, which exists only once the remote's token
// Secret was applied and filled by its token controller. Unless asked to
// include credentials, every link Secret holds a placeholder instead.
#pragma once

#include <string>
#include <vector>

#include "mesh/objects.h"
#include "mesh/options.h"
#include "mesh/preflight.h"
#include "util/outcome.h"

namespace meshctl::mesh {

// The token written into a link Secret's kubeconfig when credentials are not
// included: never valid, so Typha reports the link failed until it is filled.
std::string token_placeholder(const std::string& remote);

struct RenderedCluster {
  std::string name;                       // mesh name
  std::string context;                    // kubeconfig context
  std::vector<DesiredObject> objects;     // in apply order
  std::vector<std::string> placeholders;  // remotes whose link Secret holds token_placeholder()
};

struct RenderReport {
  bool include_credentials = false;
  std::vector<ClusterProblem> problems;  // as join's preflight refuses
  std::vector<std::string> warnings;
  std::vector<RenderedCluster> clusters;  // empty when a problem was found

  // ok, or the preflight refusal (unreachable, usage, precondition).
  Outcome outcome() const;
};

// Whether link Secrets get the remotes' tokens or placeholders.
enum class Credentials { placeholders, included };

// Reads every cluster and plans its objects. `options.read_only` and
// `options.wait` are set by it; bound tokens cannot be rendered (join issues
// them at apply time) and are refused by the caller.
RenderReport run_render(std::vector<Cluster>& clusters, JoinOptions options, Credentials credentials);

// join --dry-run=client: what join would write into clusters that hold none
// of its objects yet, from the kubeconfig alone. No API call and no login
// plugin runs: nothing is read, so nothing is checked, every link Secret holds
// the placeholder, and the overlay routing (which join derives per cluster)
// is --overlay-routing or, with a warning, Enabled.
RenderReport render_offline(const std::vector<Cluster>& clusters, const JoinOptions& options);

// The planning step alone, from preflight's facts (each cluster's LiveState
// holding whatever of its objects exist): exposed for unit tests. A federation
// token is used only with Credentials::included and when it belongs to the
// current ServiceAccount; otherwise the remote's links hold the placeholder
// (with a warning when credentials were asked for).
std::vector<RenderedCluster> plan_render(const std::vector<Cluster>& clusters,
                                         const std::vector<PreflightFacts>& facts, const JoinOptions& options,
                                         Credentials credentials, std::vector<std::string>& warnings);

}  // namespace meshctl::mesh
