#include "mesh/rotate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "calico/names.h"
#include "calico/remote_kubeconfig.h"
#include "kube/fields.h"
#include "mesh/apply.h"
#include "mesh/credential.h"
#include "mesh/plan.h"
#include "util/interrupt.h"
#include "util/jwt.h"
#include "util/log.h"
#include "util/parallel.h"

namespace meshctl::mesh {
namespace {

using Clock = std::chrono::steady_clock;

// What rotate reads of one context before anything is written.
struct ClusterFacts {
  std::optional<Error> error;
  std::string cluster_uid;  // kube-system's UID: two contexts of one cluster are searched once
  std::string federation_namespace;
  bool legacy_namespace = false;
  std::string account_uid;
  std::vector<Json> token_secrets;    // meshctl's federation token Secrets, lowest generation first
  std::map<std::string, Json> links;  // remote mesh name -> meshctl's link Secret for it
};

Status find_account(kube::ClusterApi& client, const JoinOptions& o, ClusterFacts& f) {
  const std::string name(calico::kFederationName);
  const std::string scope = o.federation_namespace_given ? o.federation_namespace : "";
  TRY_ASSIGN(Json list, client.list(kube::resources::service_accounts, scope, "", "metadata.name=" + name));
  std::map<std::string, std::string> uid_by_namespace;
  for (const auto& sa : kube::items(list))
    uid_by_namespace[kube::metadata_string(sa, "namespace")] = kube::metadata_string(sa, "uid");
  f.federation_namespace = o.federation_namespace;
  const std::string legacy(calico::kLegacyFederationNamespace);
  if (!o.federation_namespace_given && uid_by_namespace.count(f.federation_namespace) == 0 &&
      uid_by_namespace.count(legacy) > 0) {
    f.federation_namespace = legacy;
    f.legacy_namespace = true;
  }
  f.account_uid = uid_by_namespace[f.federation_namespace];
  return {};
}

Status read_secrets(kube::ClusterApi& client, const JoinOptions& o, ClusterFacts& f) {
  TRY_ASSIGN(Json tokens,
             client.list(kube::resources::secrets, f.federation_namespace, calico::managed_selector()));
  for (const auto& item : kube::items(tokens)) {
    if (is_federation_token_secret(item))
      f.token_secrets.push_back(item);
  }
  std::sort(f.token_secrets.begin(), f.token_secrets.end(),
            [](const Json& a, const Json& b) { return token_generation(a) < token_generation(b); });
  const std::string selector = calico::managed_selector() + "," + std::string(calico::kRoleLabel) + "=link";
  TRY_ASSIGN(Json links, client.list(kube::resources::secrets, o.secret_namespace, selector));
  for (const auto& item : kube::items(links)) {
    std::string remote = kube::label_of(item, calico::kRemoteClusterLabel);
    if (!remote.empty())
      f.links[remote] = item;
  }
  return {};
}

ClusterFacts read_facts(Cluster& c, const JoinOptions& o) {
  ClusterFacts f;
  auto kube_system = c.client->get(kube::resources::namespaces, "", "kube-system");
  if (!kube_system) {
    f.error = kube_system.error();
    return f;
  }
  f.cluster_uid = kube::metadata_string(*kube_system, "uid");
  Status read = find_account(*c.client, o, f);
  if (read)
    read = read_secrets(*c.client, o, f);
  if (!read)
    f.error = read.error();
  return f;
}

std::string stored_token(const Json& link_secret) {
  auto stored = calico::read_remote_kubeconfig(secret_data(link_secret, "kubeconfig"));
  if (!stored)
    return "";
  log::register_secret(stored->token.reveal());
  return stored->token.reveal();
}

// The new credential of one rotated cluster.
struct NewCredential {
  std::string secret_name;  // secret mode
  Secret token;
};

Result<NewCredential> issue_secret_token(Cluster& c, const ClusterFacts& f, int generation, bool create,
                                         const RotateOptions& o, const ProgressFn& progress) {
  NewCredential out;
  out.secret_name = calico::federation_token_secret_name(generation);
  const std::string& ns = f.federation_namespace;
  if (create) {
    TRY_ASSIGN(auto objects, federation_objects(c.member.mesh_name, ns, true, o.join, generation));
    auto written =
        apply_objects(*c.client, c.member.mesh_name, {objects.back()}, LiveState{}, write_options(o.join));
    if (written.front().action == Action::failed || written.front().action == Action::skipped) {
      const auto& w = written.front();
      return Error(
          interrupted() ? Errc::interrupted : w.error_code,
          fmt::format("{}: writing Secret {}/{}: {}", c.member.context, ns, out.secret_name, w.error));
    }
    progress(c.member.mesh_name, "new federation token Secret " + out.secret_name);
  }
  auto filled = c.client->wait_for(
      kube::resources::secrets, ns, out.secret_name,
      [](const Json& s) { return !secret_data(s, "token").empty(); }, o.join.token_fill_timeout);
  if (!filled && filled.error().code == Errc::not_ready) {
    return Error(Errc::not_ready,
                 fmt::format("{}: the token controller did not fill Secret {}/{} within {}s",
                             c.member.context, ns, out.secret_name, o.join.token_fill_timeout.count()),
                 "is kube-controller-manager running? The old credential is untouched; re-run to finish");
  }
  if (!filled)
    return filled.error();
  if (std::string for_uid = earlier_account_uid(*filled, f.account_uid); !for_uid.empty()) {
    return Error(Errc::precondition,
                 fmt::format("{}: Secret {}/{} holds a token of an earlier ServiceAccount (UID {}, now {})",
                             c.member.context, ns, out.secret_name, for_uid, f.account_uid),
                 "delete that Secret and run the rotation again; the old credential is untouched");
  }
  out.token = Secret(secret_data(*filled, "token"));
  log::register_secret(out.token.reveal());
  return out;
}

// One peer's link to the rotated cluster: its Secret rewritten with the new
// token (server, CA and labels as they are), then judged by the peer's Typha.
struct PeerOutcome {
  LinkResult link;
  bool updated = false;
};

PeerOutcome update_peer(Cluster& peer, const Json& link_secret, const std::string& remote,
                        const Secret& token, Clock::time_point deadline, const RotateOptions& o,
                        const ProgressFn& progress) {
  PeerOutcome out;
  out.link = LinkResult{peer.member.mesh_name, remote, calico::LinkState::unknown, "", false, false};
  auto stored = calico::read_remote_kubeconfig(secret_data(link_secret, "kubeconfig"));
  if (!stored) {
    out.link.detail =
        "its stored kubeconfig cannot be read (" + stored.error().message + "); run join to repair it";
    return out;
  }
  LinksToVerify verify;
  calico::RemoteAccess access{remote, stored->server, stored->ca_pem, stored->tls_server_name, token};
  std::string local = kube::label_of(link_secret, calico::kLocalClusterLabel);
  // Only the Secret is written: the routing mode and pools do not matter here.
  auto objects =
      link_objects(local.empty() ? peer.member.mesh_name : local, access, "Enabled", RemotePools{}, o.join);
  if (!objects) {
    out.link.detail = objects.error().message;
    return out;
  }
  const DesiredObject& secret = objects->front();
  LiveState live;
  live.objects[object_key(secret.resource, secret.namespace_, secret.name)] = link_secret;
  auto start = Clock::now();
  auto written = apply_objects(*peer.client, peer.member.mesh_name, {secret}, live, write_options(o.join));
  const ObjectResult& result = written.front();
  if (result.action == Action::failed || result.action == Action::skipped) {
    out.link.detail = "not updated: " + result.error;
    return out;
  }
  out.updated = result.action != Action::unchanged;
  out.link.written = true;
  if (o.join.dry_run)
    return out;
  if (out.updated) {
    progress(peer.member.mesh_name, "link to " + remote + " now holds the new credential");
    verify.changed_remotes.insert(remote);
    verify.first_change = start;
  }
  verify.stored_kubeconfigs[remote] = Secret(secret_data(secret.body, "kubeconfig"));
  verify.links.push_back(out.link);
  verify_links(peer, verify, deadline, VerifySettings::of(o.join), progress);
  out.link = verify.links.front();
  if (verify.typha_unreachable)
    out.link.detail += " (the cluster stopped answering)";
  return out;
}

// Deletes (or, for one meshctl took over, releases) every token Secret older
// than the new generation.
Status retire_old_secrets(Cluster& c, const ClusterFacts& f, const std::string& current,
                          const RotateOptions& o, RotatedCluster& out) {
  for (const auto& old : f.token_secrets) {
    const std::string name = kube::metadata_string(old, "name");
    if (name == current)
      continue;
    const bool adopted = !kube::annotation_of(old, calico::kAdoptedAnnotation).empty();
    const auto dry_run = o.join.dry_run ? kube::DryRun::yes : kube::DryRun::no;
    if (adopted && !o.include_adopted) {
      TRY(release_adopted(*c.client, kube::resources::secrets, f.federation_namespace, name, dry_run));
      out.released.push_back(name);
      continue;
    }
    TRY(c.client->remove(kube::resources::secrets, f.federation_namespace, name,
                         kube::Propagation::background, dry_run));
    out.revoked.push_back(name);
  }
  return {};
}

void fail(RotatedCluster& out, const Error& e) {
  out.state = e.code == Errc::interrupted ? Rotation::interrupted : Rotation::failed;
  out.detail = e.message + (e.hint.empty() ? "" : " (" + e.hint + ")");
  Outcome o = outcome_of(e.code);
  out.outcome = o == Outcome::usage ? Outcome::failed : o;
}

RotatedCluster rotate_one(Cluster& target, const ClusterFacts& facts, std::vector<Cluster*>& all,
                          const std::vector<ClusterFacts>& all_facts,
                          const std::vector<ClusterProblem>& unsearched, const RotateOptions& o,
                          Clock::time_point deadline, const ProgressFn& progress) {
  RotatedCluster out;
  const std::string& name = target.member.mesh_name;
  out.name = name;
  out.context = target.member.context;
  std::vector<size_t> peers;
  bool bound = false;
  for (size_t p = 0; p < all.size(); ++p) {
    auto it = all_facts[p].links.find(name);
    if (all[p] == &target || it == all_facts[p].links.end())
      continue;
    peers.push_back(p);
    bound = bound || jwt_expiry(stored_token(it->second)).has_value();
  }
  out.mode = bound ? "bound" : "secret";
  if (peers.empty()) {
    out.state = Rotation::no_links;
    out.detail = "no context of the kubeconfig stores a meshctl link to " + name + "; nothing was changed";
    return out;
  }
  NewCredential credential;
  if (bound) {
    if (o.join.dry_run) {
      credential.token = Secret("<bound token issued at rotation>");
    } else {
      auto issued = target.client->request_token(facts.federation_namespace,
                                                 std::string(calico::kFederationName), o.join.token_ttl);
      if (!issued) {
        fail(out, issued.error());
        return out;
      }
      credential.token = issued->token;
      log::register_secret(credential.token.reveal());
      if (auto warning = granted_lifetime_warning(target.member.context, issued->expiry, o.join.token_ttl))
        out.detail = *warning;
    }
  } else {
    const int newest = facts.token_secrets.empty() ? 0 : token_generation(facts.token_secrets.back());
    out.resumed = facts.token_secrets.size() >= 2;  // an earlier rotation stopped before revoking
    const int generation = out.resumed ? newest : newest + 1;
    out.credential = calico::federation_token_secret_name(generation);
    if (o.join.dry_run) {
      credential.token = Secret("<token not yet issued>");
    } else {
      auto issued = issue_secret_token(target, facts, generation, !out.resumed, o, progress);
      if (!issued) {
        fail(out, issued.error());
        return out;
      }
      credential = std::move(*issued);
    }
  }

  auto results = parallel_map<PeerOutcome>(peers.size(), [&](size_t i) {
    size_t p = peers[i];
    return update_peer(*all[p], all_facts[p].links.at(name), name, credential.token, deadline, o, progress);
  });
  bool all_in_sync = true;
  for (auto& r : results) {
    if (r.updated)
      out.updated.push_back(r.link.local);
    if (!r.link.written)
      out.outcome = worst(out.outcome, Outcome::failed);
    else if (!o.join.dry_run && r.link.state != calico::LinkState::in_sync)
      out.outcome = worst(out.outcome, Outcome::links_degraded);
    all_in_sync =
        all_in_sync && r.link.written && (o.join.dry_run || r.link.state == calico::LinkState::in_sync);
    out.links.push_back(std::move(r.link));
  }
  if (interrupted()) {
    out.state = Rotation::interrupted;
    out.outcome = Outcome::interrupted;
    out.detail = "every link holds the old or the new credential, both valid; re-run to finish";
    return out;
  }
  if (!all_in_sync) {
    out.state = Rotation::incomplete;
    out.detail =
        "not every link is in sync with the new credential, so the old one was kept (both are valid); "
        "fix what the links show, then re-run `meshctl rotate " +
        target.member.context + "`";
    return out;
  }
  if (bound) {
    out.state = o.join.dry_run ? Rotation::would_rotate : Rotation::rotated;
    out.detail = (out.detail.empty() ? "" : out.detail + "; ") +
                 "earlier bound tokens cannot be revoked one by one: they stay valid until they expire";
    return out;
  }
  if (!unsearched.empty() && !o.force) {
    std::vector<std::string> contexts;
    for (const auto& u : unsearched)
      contexts.push_back(u.cluster);
    out.state = Rotation::incomplete;
    out.outcome = worst(out.outcome, Outcome::unreachable);
    out.detail = fmt::format(
        "the old credential was kept: {} could not be searched for links to {} (pass --force "
        "to revoke it anyway)",
        fmt::join(contexts, ", "), name);
    return out;
  }
  if (auto retired = retire_old_secrets(target, facts, out.credential, o, out); !retired) {
    fail(out, retired.error());
    return out;
  }
  out.state = o.join.dry_run ? Rotation::would_rotate : Rotation::rotated;
  if (!out.released.empty()) {
    out.detail = fmt::format(
        "{} existed before meshctl took it over and was released, not deleted: its token "
        "stays valid (--include-adopted deletes it)",
        fmt::join(out.released, ", "));
  }
  return out;
}

}  // namespace

const char* rotation_name(Rotation rotation) {
  switch (rotation) {
    case Rotation::rotated:
      return "rotated";
    case Rotation::would_rotate:
      return "would-rotate";
    case Rotation::no_links:
      return "no-links";
    case Rotation::incomplete:
      return "incomplete";
    case Rotation::interrupted:
      return "interrupted";
    case Rotation::failed:
      break;
  }
  return "failed";
}

Outcome RotateReport::outcome() const {
  if (!problems.empty()) {
    Outcome out = Outcome::ok;
    for (const auto& p : problems) {
      // A named cluster that cannot be read is a precondition, not a failed write.
      const Outcome o = outcome_of(p.code);
      out = worst(out, o == Outcome::failed ? Outcome::precondition : o);
    }
    return out;
  }
  if (interrupted)
    return Outcome::interrupted;
  Outcome out = Outcome::ok;
  for (const auto& c : clusters)
    out = worst(out, c.outcome);
  return out;
}

RotateReport run_rotate(std::vector<Cluster>& rotated, std::vector<Cluster>& others,
                        const RotateOptions& options, const ProgressFn& progress) {
  RotateReport report;
  report.dry_run = options.join.dry_run;
  std::vector<Cluster*> all;
  for (auto& c : rotated)
    all.push_back(&c);
  for (auto& c : others)
    all.push_back(&c);
  auto facts =
      parallel_map<ClusterFacts>(all.size(), [&](size_t i) { return read_facts(*all[i], options.join); });
  for (size_t i = 0; i < all.size(); ++i) {
    if (!facts[i].error)
      continue;
    const Error& e = *facts[i].error;
    if (i < rotated.size() && !options.every_context) {
      report.problems.push_back(ClusterProblem::of(all[i]->member.mesh_name, e, all[i]->member.context));
    } else {
      report.unsearched.push_back(ClusterProblem::of(all[i]->member.context, e));
    }
  }
  if (!report.problems.empty())
    return report;
  std::map<std::string, size_t> first_context_of;
  for (size_t i = 0; i < all.size(); ++i) {
    if (facts[i].error || facts[i].cluster_uid.empty())
      continue;
    auto [it, first] = first_context_of.emplace(facts[i].cluster_uid, i);
    if (first)
      continue;
    // Another context of a cluster already searched: its links are the same objects.
    facts[i].links.clear();
    facts[i].error = Error(Errc::precondition, "same cluster as " + all[it->second]->member.context);
    if (i < rotated.size()) {
      report.warnings.push_back(fmt::format("{}: the same cluster as {} (kube-system UID {}); rotated once",
                                            all[i]->member.context, all[it->second]->member.context,
                                            facts[i].cluster_uid));
    }
  }
  auto deadline = Clock::now() + options.join.timeout;
  std::vector<size_t> readable;
  for (size_t i = 0; i < rotated.size(); ++i) {
    if (!facts[i].error)
      readable.push_back(i);
  }
  report.clusters = parallel_map<RotatedCluster>(readable.size(), [&](size_t k) {
    size_t i = readable[k];
    return rotate_one(rotated[i], facts[i], all, facts, report.unsearched, options, deadline, progress);
  });
  report.interrupted = interrupted();
  return report;
}

}  // namespace meshctl::mesh
