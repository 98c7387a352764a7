// Verifying links through Typha, shared by join and rotate: each link of one
// local cluster is judged as status judges it, and a link whose connection
// data changed in this run must be in sync *since* the change.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "calico/link_state.h"
#include "mesh/options.h"
#include "util/outcome.h"
#include "util/secret.h"

namespace meshctl::mesh {

struct LinkResult {
  std::string local, remote;  // the link L <- R, by mesh name
  calico::LinkState state = calico::LinkState::unknown;
  std::string detail;     // Typha's words, or why the link was not written
  bool written = false;   // every object of the link is in place
  bool verified = false;  // state comes from Typha (--wait)
};

// The links of one local cluster, as written by this run.
struct LinksToVerify {
  std::vector<LinkResult> links;
  std::optional<std::chrono::steady_clock::time_point> first_change;
  std::set<std::string> changed_remotes;             // links whose connection data this run changed
  std::map<std::string, Secret> stored_kubeconfigs;  // remote -> the kubeconfig its link holds
  bool typha_unreachable = false;                    // the last read of Typha found the cluster unreachable
};

// What verification takes from join's (or rotate's) options.
struct VerifySettings {
  std::string secret_namespace;  // of the link Secrets (Typha's view names their readers)
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};  // of a stored credential's probe
  bool restart_stale_typha = false;                                     // --restart-stale-typha
  static VerifySettings of(const JoinOptions& o) {
    return {o.secret_namespace, o.request_timeout, o.restart_stale_typha};
  }
};

// The cluster stopped answering, refuses meshctl's credentials, or still says
// 503 after the retries (an apiserver shutting down answers that before it
// stops listening): exit 4, as for a cluster unreachable from the start.
bool lost_contact(Errc code, int http_status = 0);

// Waits in `local` until every written link is settled (in sync, or a stale
// failure Typha never takes back) or the deadline passes. Changed links are
// followed in Typha's log from the change on; the others are judged by each
// replica's whole log, so an unchanged, healthy mesh is verified by one read.
// With settings.restart_stale_typha, Typha is restarted once where a link
// holds a stale failure.
void verify_links(Cluster& local, LinksToVerify& links, std::chrono::steady_clock::time_point deadline,
                  const VerifySettings& settings, const ProgressFn& progress);

}  // namespace meshctl::mesh
