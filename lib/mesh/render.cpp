#include "mesh/render.h"

#include <fmt/format.h>

#include "calico/names.h"
#include "kube/exec_credential.h"
#include "kube/fields.h"
#include "mesh/plan.h"
#include "util/log.h"
#include "util/parallel.h"

namespace meshctl::mesh {
namespace {

// A remote's side of every link to it: the access its peers store, and
// whether its token is the placeholder.
struct Offer {
  calico::RemoteAccess access;
  bool placeholder = false;
};

// The token Secret of a remote as its own preflight (and the by-name reads)
// saw it, with its token when that belongs to the current ServiceAccount.
struct StoredToken {
  std::string token, ca_pem;
  std::string missing;  // why no usable token: "" when there is one
};

StoredToken stored_token(const PreflightFacts& facts) {
  const std::string name = calico::federation_token_secret_name(facts.token_generation);
  const std::string& ns = facts.federation_namespace;
  StoredToken out;
  auto secret = facts.live.objects.find(object_key(kube::resources::secrets, ns, name));
  if (secret == facts.live.objects.end()) {
    out.missing = fmt::format("Secret {}/{} does not exist yet", ns, name);
    return out;
  }
  out.ca_pem = secret_data(secret->second, "ca.crt");
  out.token = secret_data(secret->second, "token");
  if (out.token.empty()) {
    out.missing = fmt::format("the token controller has not filled Secret {}/{} yet", ns, name);
    return out;
  }
  const std::string account_name(calico::kFederationName);
  auto account = facts.live.objects.find(object_key(kube::resources::service_accounts, ns, account_name));
  std::string account_uid =
      account == facts.live.objects.end() ? "" : kube::metadata_string(account->second, "uid");
  if (!earlier_account_uid(secret->second, account_uid).empty()) {
    out.token.clear();
    out.missing = fmt::format("Secret {}/{} holds a token of an earlier ServiceAccount", ns, name);
  }
  return out;
}

Offer offer_of(const Cluster& remote, const PreflightFacts& facts, const JoinOptions& o,
               Credentials credentials, std::vector<std::string>& warnings) {
  Offer offer;
  StoredToken stored = stored_token(facts);
  Secret token(token_placeholder(remote.member.mesh_name));
  const bool include_credentials = credentials == Credentials::included;
  if (include_credentials && stored.missing.empty()) {
    log::register_secret(stored.token);
    token = Secret(stored.token);
  } else {
    offer.placeholder = true;
    if (include_credentials) {
      warnings.push_back(fmt::format(
          "{}: {}; every link to {} holds a placeholder: apply {}'s objects, wait for its token, then "
          "render again",
          remote.member.context, stored.missing, remote.member.mesh_name, remote.member.mesh_name));
    }
  }
  offer.access = offered_access(remote, std::move(token), stored.ca_pem, o, warnings);
  return offer;
}

// Join records taking over an object that existed without meshctl's label;
// a rendered object carries the same record, so that leave and teardown
// release it after a GitOps tool applied it. An earlier record is kept as it
// is: applying a render without it would remove it.
void mark_adoption(DesiredObject& d, const LiveState& live) {
  const Json* existing = live.find(d);
  if (existing == nullptr)
    return;
  const std::string key(calico::kAdoptedAnnotation);
  std::string recorded = kube::annotation_of(*existing, key);
  if (recorded.empty() && carries_managed_label(*existing))
    return;
  d.body["metadata"]["annotations"][key] = recorded.empty() ? kube::now_rfc3339() : recorded;
}

// Preflight lists meshctl's objects by label; one made by other means under
// the same name is found only by asking for it.
Status read_unseen(kube::ClusterApi& client, const std::vector<DesiredObject>& objects, LiveState& live) {
  for (const auto& d : objects) {
    if (live.find(d) != nullptr)
      continue;
    auto object = client.get(d.resource, d.namespace_, d.name);
    if (object)
      live.objects[object_key(d.resource, d.namespace_, d.name)] = std::move(*object);
    else if (object.error().code != Errc::not_found)
      return object.error();
  }
  return {};
}

// Every object a cluster's plan names, whatever the credentials: the names do
// not depend on them.
Result<std::vector<DesiredObject>> named_objects(size_t index, const std::vector<Cluster>& clusters,
                                                 const std::vector<PreflightFacts>& facts_of,
                                                 const JoinOptions& o) {
  const PreflightFacts& facts = facts_of[index];
  const std::string& name = clusters[index].member.mesh_name;
  TRY_ASSIGN(auto objects, federation_objects(name, facts.federation_namespace,
                                              facts.legacy_federation_namespace, o, facts.token_generation));
  for (size_t r = 0; r < clusters.size(); ++r) {
    if (r == index)
      continue;
    calico::RemoteAccess access;
    access.cluster_name = clusters[r].member.mesh_name;
    TRY_ASSIGN(auto link,
               link_objects(name, access, facts.overlay_routing, remote_pools(facts, facts_of[r]), o));
    objects.insert(objects.end(), link.begin(), link.end());
  }
  return objects;
}

}  // namespace

std::string token_placeholder(const std::string& remote) {
  return "MESHCTL-PLACEHOLDER-federation-token-of-" + remote;
}

Outcome RenderReport::outcome() const {
  return problems.empty() ? Outcome::ok : preflight_outcome(problems);
}

std::vector<RenderedCluster> plan_render(const std::vector<Cluster>& clusters,
                                         const std::vector<PreflightFacts>& facts, const JoinOptions& o,
                                         Credentials credentials, std::vector<std::string>& warnings) {
  std::vector<Offer> offers;
  for (size_t r = 0; r < clusters.size(); ++r)
    offers.push_back(offer_of(clusters[r], facts[r], o, credentials, warnings));
  std::vector<RenderedCluster> out;
  for (size_t i = 0; i < clusters.size(); ++i) {
    const Cluster& local = clusters[i];
    const PreflightFacts& own = facts[i];
    RenderedCluster rendered{local.member.mesh_name, local.member.context, {}, {}};
    auto federation = federation_objects(local.member.mesh_name, own.federation_namespace,
                                         own.legacy_federation_namespace, o, own.token_generation);
    if (!federation) {
      warnings.push_back(federation.error().message);
      continue;
    }
    rendered.objects = std::move(*federation);
    for (size_t r = 0; r < clusters.size(); ++r) {
      if (r == i)
        continue;
      auto link = link_objects(local.member.mesh_name, offers[r].access, own.overlay_routing,
                               remote_pools(own, facts[r]), o);
      if (!link) {
        warnings.push_back(link.error().message);
        continue;
      }
      if (offers[r].placeholder)
        rendered.placeholders.push_back(clusters[r].member.mesh_name);
      rendered.objects.insert(rendered.objects.end(), link->begin(), link->end());
    }
    for (auto& d : rendered.objects)
      mark_adoption(d, own.live);
    out.push_back(std::move(rendered));
  }
  return out;
}

RenderReport render_offline(const std::vector<Cluster>& clusters, const JoinOptions& options) {
  RenderReport report;
  PreflightFacts fresh;
  fresh.federation_namespace = options.federation_namespace;
  fresh.overlay_routing = options.overlay_routing;
  if (fresh.overlay_routing.empty()) {
    fresh.overlay_routing = "Enabled";
    report.warnings.push_back(
        "overlayRoutingMode Enabled is assumed: join derives it from each cluster's pools and "
        "WireGuard (Enabled with VXLAN or WireGuard, else Disabled), which a client dry run does not "
        "read; pass --overlay-routing to set it");
  } else if (fresh.overlay_routing == "Disabled") {
    report.warnings.push_back(
        "the disabled IPPools Disabled routing needs (one per pod CIDR of each remote) are not rendered: a "
        "client dry run does not read the remotes' pools; use --dry-run=server or render against the "
        "clusters");
  }
  std::vector<PreflightFacts> facts(clusters.size(), fresh);
  report.clusters = plan_render(clusters, facts, options, Credentials::placeholders, report.warnings);
  return report;
}

RenderReport run_render(std::vector<Cluster>& clusters, JoinOptions options, Credentials credentials) {
  options.read_only = true;
  options.wait = false;
  options.dry_run = true;
  RenderReport report;
  report.include_credentials = credentials == Credentials::included;
  auto preflight = run_preflight(clusters, options);
  report.problems = preflight.problems;
  if (!preflight.ok())
    return report;
  report.warnings = preflight.warnings;
  auto unseen = parallel_map<Status>(clusters.size(), [&](size_t i) -> Status {
    TRY_ASSIGN(auto objects, named_objects(i, clusters, preflight.facts, options));
    return read_unseen(*clusters[i].client, objects, preflight.facts[i].live);
  });
  for (size_t i = 0; i < clusters.size(); ++i) {
    if (!unseen[i]) {
      Error e = unseen[i].error();
      report.problems.push_back(
          {clusters[i].member.mesh_name, e.code, clusters[i].member.context + ": " + e.message, e.hint});
    }
  }
  if (!report.problems.empty())
    return report;
  report.clusters = plan_render(clusters, preflight.facts, options, credentials, report.warnings);
  return report;
}

}  // namespace meshctl::mesh
