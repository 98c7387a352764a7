#include "mesh/join.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "calico/names.h"
#include "kube/fields.h"
#include "mesh/credential.h"
#include "mesh/plan.h"
#include "util/base64.h"
#include "util/interrupt.h"
#include "util/jwt.h"
#include "util/log.h"
#include "util/parallel.h"
#include "util/poll.h"

namespace meshctl::mesh {
namespace {

using Clock = std::chrono::steady_clock;
using kube::Json;

// What a cluster offers its peers after the federation stage.
struct RemoteOffer {
  bool ready = false;
  calico::RemoteAccess access;
  Error error;  // why not ready
  std::vector<ObjectResult> objects;
  std::vector<std::string> warnings;
  LiveState live;
};

Result<Json> wait_for_token(kube::ClusterApi& client, Cluster& c, const std::string& ns,
                            const std::string& name, const JoinOptions& o) {
  auto filled = client.wait_for(
      kube::resources::secrets, ns, name,
      [](const Json& s) { return !s.value("data", Json::object()).value("token", "").empty(); },
      o.token_fill_timeout);
  if (!filled && filled.error().code != Errc::not_ready)
    return filled.error();  // interrupted, or the cluster stopped answering: not the controller's fault
  if (!filled) {
    return Error(Errc::not_ready,
                 fmt::format("{}: the token controller did not fill Secret {}/{} within {}s",
                             c.member.context, ns, name, o.token_fill_timeout.count()),
                 "is kube-controller-manager running with its service-account token controller "
                 "(--service-account-private-key-file)?");
  }
  return filled;
}

// The UID of the federation ServiceAccount as it is now (applied this run, or read).
std::string service_account_uid(kube::ClusterApi& client, const std::string& ns, const LiveState& live) {
  const std::string name(calico::kFederationName);
  auto it = live.objects.find(object_key(kube::resources::service_accounts, ns, name));
  if (it != live.objects.end())
    return kube::metadata_string(it->second, "uid");
  auto sa = client.get(kube::resources::service_accounts, ns, name);
  return sa ? kube::metadata_string(*sa, "uid") : "";
}

// The token controller fills a token Secret for the ServiceAccount its cache
// has under that name. Right after the ServiceAccount was deleted and made
// again (leave or teardown, then join) a lagging controller can fill it for
// the old one: the API server refuses that token (seen in the lab with a slow
// apiserver), and the controller deletes the Secret only much later. Such a
// Secret is deleted and written again, with growing pauses while the
// controller's cache still lags (up to the token wait, --token-wait), so peers
// never store a dead token.
Result<Json> filled_token(kube::ClusterApi& client, Cluster& c, const std::string& ns, LiveState& live,
                          const DesiredObject& token_object, const JoinOptions& o,
                          std::vector<std::string>& warnings) {
  const auto key = object_key(token_object.resource, ns, token_object.name);
  const auto deadline = Clock::now() + o.token_fill_timeout;
  for (int attempt = 0;; ++attempt) {
    const Json* current = live.find(token_object);
    if (current == nullptr || secret_data(*current, "token").empty()) {
      TRY_ASSIGN(live.objects[key], wait_for_token(client, c, ns, token_object.name, o));
      current = live.find(token_object);
    }
    std::string sa_uid = service_account_uid(client, ns, live);
    std::string for_uid = earlier_account_uid(*current, sa_uid);
    if (for_uid.empty())
      return *current;
    if (!kube::annotation_of(*current, calico::kAdoptedAnnotation).empty()) {
      // Not meshctl's to replace: hand-made links elsewhere may hold it.
      return Error(
          Errc::precondition,
          fmt::format("{}: Secret {}/{} (made before meshctl took it over) holds a token of an earlier "
                      "ServiceAccount (UID {}, now {})",
                      c.member.context, ns, token_object.name, for_uid, sa_uid),
          "delete that Secret yourself if nothing else uses it, then run the join again");
    }
    if (Clock::now() >= deadline) {
      return Error(
          Errc::not_ready,
          fmt::format("{}: the token controller kept filling Secret {}/{} for an earlier "
                      "ServiceAccount (UID {}, now {}) for {}s",
                      c.member.context, ns, token_object.name, for_uid, sa_uid, o.token_fill_timeout.count()),
          "its cache lags behind; run the same join again in a minute");
    }
    if (attempt == 0) {
      warnings.push_back(
          fmt::format("{}: Secret {}/{} held a token of an earlier ServiceAccount (UID {}); "
                      "it was deleted and written again",
                      c.member.context, ns, token_object.name, for_uid));
    } else {
      // The controller's ServiceAccount cache still lags: give it time, up to the token wait.
      if (!nap_until(
              std::min(deadline, Clock::now() + std::chrono::milliseconds(500 << std::min(attempt, 3)))))
        return Error(Errc::interrupted, "interrupted");
    }
    auto removed = client.remove(token_object.resource, ns, token_object.name);
    if (!removed)
      return removed.error();
    TRY_ASSIGN(
        kube::Applied applied,  // never a dry run: a dry run does not wait for tokens
        client.apply(token_object.resource, ns, token_object.name, token_object.body, write_options(o)));
    live.objects[key] = std::move(applied.object);
  }
}

Result<Secret> token_from_secret(kube::ClusterApi& client, Cluster& c, const std::string& ns, LiveState& live,
                                 const DesiredObject& token_object, const JoinOptions& o, std::string& ca_out,
                                 std::vector<std::string>& warnings) {
  const Json* existing = live.find(token_object);
  if (o.dry_run && (existing == nullptr || secret_data(*existing, "token").empty()))
    return Secret("<token not yet issued>");
  Json current;
  if (o.dry_run) {
    current = *existing;
  } else {
    TRY_ASSIGN(current, filled_token(client, c, ns, live, token_object, o, warnings));
  }
  std::string token = secret_data(current, "token");
  log::register_secret(token);
  ca_out = secret_data(current, "ca.crt");
  return Secret(token);
}

RemoteOffer prepare_remote(Cluster& c, PreflightFacts& facts, const JoinOptions& o,
                           const ProgressFn& progress) {
  RemoteOffer offer;
  const std::string& name = c.member.mesh_name;
  kube::ClusterApi& client = *c.client;
  offer.live = std::move(facts.live);
  auto objects = federation_objects(name, facts.federation_namespace, facts.legacy_federation_namespace, o,
                                    facts.token_generation);
  if (!objects) {
    offer.error = objects.error();
    return offer;
  }
  offer.objects = apply_objects(client, name, *objects, offer.live, write_options(o), &offer.live);
  for (const auto& r : offer.objects) {
    if (r.action == Action::failed || r.action == Action::skipped) {
      offer.error = Error(r.action == Action::failed ? r.error_code : Errc::interrupted, r.error, "",
                          r.error_http_status);
      return offer;
    }
  }
  if (facts.legacy_federation_namespace) {
    offer.warnings.push_back(
        fmt::format("{}: using the existing ServiceAccount {}/{} from older Enterprise manifests",
                    c.member.context, facts.federation_namespace, calico::kFederationName));
  }

  std::string token_ca;
  Result<Secret> token = Secret();
  if (o.token_mode == TokenMode::secret) {
    token = token_from_secret(client, c, facts.federation_namespace, offer.live, objects->back(), o, token_ca,
                              offer.warnings);
  } else if (o.dry_run) {
    token = Secret("<bound token issued at apply>");
  } else {
    auto issued =
        client.request_token(facts.federation_namespace, std::string(calico::kFederationName), o.token_ttl);
    if (issued) {
      token = issued->token;
      if (auto warning = granted_lifetime_warning(c.member.context, issued->expiry, o.token_ttl))
        offer.warnings.push_back(*warning);
    } else {
      token = issued.error();
    }
  }
  if (!token) {
    offer.error = token.error();
    return offer;
  }
  progress(name, "federation token ready");

  offer.access = offered_access(c, std::move(*token), token_ca, o, offer.warnings);
  offer.ready = true;
  return offer;
}

struct LocalOutcome : LinksToVerify {
  std::vector<ObjectResult> objects;
  std::vector<std::string> warnings;
};

bool changed(const ObjectResult& r) {
  return r.action == Action::create || r.action == Action::update || r.action == Action::adopt;
}

// With bound tokens every join gets a fresh one from TokenRequest; writing it
// would change the Secret (and restart Typha) on every run. A stored token for
// the same server that still has more than half its lifetime left is kept.
calico::RemoteAccess access_for_link(const LiveState& live, const calico::RemoteAccess& offered,
                                     const JoinOptions& o) {
  if (o.token_mode != TokenMode::bound)
    return offered;
  auto key = object_key(kube::resources::secrets, o.secret_namespace,
                        calico::remote_secret_name(offered.cluster_name));
  auto it = live.objects.find(key);
  if (it == live.objects.end())
    return offered;
  auto stored = calico::read_remote_kubeconfig(secret_data(it->second, "kubeconfig"));
  if (!stored || stored->server != offered.server || stored->ca_pem != offered.ca_pem)
    return offered;
  auto expiry = jwt_expiry(stored->token.reveal());
  auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  if (!expiry || *expiry - now.count() < o.token_ttl.count() / 2)
    return offered;
  calico::RemoteAccess kept = offered;
  kept.token = stored->token;
  return kept;
}

// Each cluster's offer is published as soon as it is ready, so a link waits
// for its own remote, not for the slowest cluster of the mesh.
class Offers {
 public:
  explicit Offers(std::size_t n) : offers(n), published_(n, false) {}

  // Written by cluster i's task before publish(i); read by others after.
  std::vector<RemoteOffer> offers;

  void publish(std::size_t i) {
    {
      std::lock_guard lock(mutex_);
      published_[i] = true;
    }
    changed_.notify_all();
  }

  // Blocks until at least one of `waiting` is published; moves every
  // published one out of `waiting` and returns them.
  std::vector<std::size_t> take_published(std::vector<std::size_t>& waiting) {
    std::unique_lock lock(mutex_);
    auto is_published = [&](std::size_t i) { return published_[i]; };
    changed_.wait(lock, [&] { return std::any_of(waiting.begin(), waiting.end(), is_published); });
    std::vector<std::size_t> taken;
    std::copy_if(waiting.begin(), waiting.end(), std::back_inserter(taken), is_published);
    waiting.erase(std::remove_if(waiting.begin(), waiting.end(), is_published), waiting.end());
    return taken;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<bool> published_;
};

struct LinkOutcome {
  LinkResult link;
  std::vector<ObjectResult> objects;
  std::optional<std::string> warning;
  bool changed_connection = false;  // the Secret's data or the RCC's spec changed: Typha reconnects
  std::optional<Clock::time_point> first_write;
  Secret stored_kubeconfig;
};

// Typha reconnects (restarting to do so) only when what it connects with
// changes: a Secret's data or an RCC's spec. Labels alone change nothing it
// sees and it logs nothing about them, so waiting for a fresh in-sync line
// after such a change would wait for ever.
bool changes_connection_data(const DesiredObject& desired, const LiveState& live) {
  const Json* existing = live.find(desired);
  if (existing == nullptr)
    return true;
  const char* part = desired.kind == "Secret" ? "data" : "spec";
  return !json_contains(existing->value(part, Json::object()), desired.body.value(part, Json::object()));
}

// One link as planned, before and after its objects are written.
struct LinkWrite {
  LinkOutcome out;
  std::optional<std::vector<DesiredObject>> objects;  // none: not written (out.link.detail says why)
  std::string remote;
  RemotePools remote_pools;
  bool connected = false;            // Secret and RCC were there before
  bool new_connection_data = false;  // their data/spec differs from what is there
};

LinkWrite plan_link(const Cluster& local, const PreflightFacts& facts, const LiveState& live,
                    const Cluster& remote_cluster, const RemoteOffer& offer, RemotePools remote_pools,
                    const JoinOptions& o) {
  LinkWrite w;
  w.remote = remote_cluster.member.mesh_name;
  w.remote_pools = std::move(remote_pools);
  w.out.link = LinkResult{local.member.mesh_name, w.remote, calico::LinkState::unknown, "", false, false};
  if (!offer.ready) {
    w.out.link.detail = "not written: " + w.remote + " is not ready (" + offer.error.message + ")";
    return w;
  }
  auto objects = link_objects(local.member.mesh_name, access_for_link(live, offer.access, o),
                              facts.overlay_routing, w.remote_pools, o);
  if (!objects) {
    w.out.link.detail = objects.error().message;
    return w;
  }
  const DesiredObject& secret = objects->front();
  const DesiredObject& rcc = objects->back();
  w.connected = live.find(secret) != nullptr && live.find(rcc) != nullptr;
  w.new_connection_data = changes_connection_data(secret, live) || changes_connection_data(rcc, live);
  w.out.stored_kubeconfig = Secret(secret_data(secret.body, "kubeconfig"));
  w.objects = std::move(*objects);
  return w;
}

// After the link's objects were written (`written`, in their order).
LinkOutcome settle_link(Cluster& local, const LiveState& live, LinkWrite w, std::vector<ObjectResult> written,
                        Clock::time_point start, const kube::ApplyOptions& how) {
  LinkOutcome& out = w.out;
  out.objects = std::move(written);
  if (std::none_of(out.objects.begin(), out.objects.end(), [](const ObjectResult& r) {
        return r.action == Action::failed || r.action == Action::skipped;
      })) {
    auto removed = remove_stale_remote_pools(*local.client, local.member.mesh_name, w.remote,
                                             w.remote_pools.resource, *w.objects, live, how.dry_run);
    out.objects.insert(out.objects.end(), removed.begin(), removed.end());
  }
  out.link.written = true;
  for (const auto& res : out.objects) {
    if (res.action == Action::failed || res.action == Action::skipped) {
      out.link.written = false;
      if (out.link.detail.empty())
        out.link.detail = "not written: " + res.error;
    }
    if (changed(res) && !out.first_write)
      out.first_write = start;
    if (changed(res) && w.new_connection_data &&
        (res.kind == "Secret" || res.kind == "RemoteClusterConfiguration"))
      out.changed_connection = true;
  }
  if (w.connected && out.changed_connection && changes_connection_data(w.objects->front(), live)) {
    out.warning = fmt::format("{}: the Secret for {} changes; Typha in {} restarts to pick it up",
                              local.member.context, w.remote, local.member.mesh_name);
  }
  return std::move(out);
}

// Writes the links to the remotes `ready` (their offers published) in step:
// each round of all of them is one apply_all on the local cluster.
std::vector<LinkOutcome> write_wave(Cluster& local, const PreflightFacts& facts, const LiveState& live,
                                    const std::vector<Cluster>& clusters, const Offers& offers,
                                    const std::vector<PreflightFacts>& all_facts,
                                    const std::vector<std::size_t>& ready, const JoinOptions& o) {
  std::vector<LinkWrite> plans;
  std::vector<const std::vector<DesiredObject>*> chains;
  for (std::size_t r : ready) {
    plans.push_back(
        plan_link(local, facts, live, clusters[r], offers.offers[r], remote_pools(facts, all_facts[r]), o));
  }
  for (const auto& plan : plans) {
    if (plan.objects)
      chains.push_back(&*plan.objects);
  }
  const auto start = Clock::now();
  const auto how = write_options(o);
  auto written = apply_chains(*local.client, local.member.mesh_name, chains, live, how);
  std::vector<LinkOutcome> out;
  std::size_t chain = 0;
  for (auto& plan : plans) {
    if (!plan.objects) {
      out.push_back(std::move(plan.out));
      continue;
    }
    out.push_back(settle_link(local, live, std::move(plan), std::move(written[chain++]), start, how));
  }
  return out;
}

// A cluster's links are written as their remotes' offers arrive: all the
// links whose offers are in go out together as one wave, on a thread of
// its own while the next offers are awaited (on this thread when none
// remain). So a link never waits for a slower remote, and the links share
// a thread and a round of requests instead of each holding a thread.
LocalOutcome write_links(Cluster& local, const PreflightFacts& facts, const LiveState& live,
                         const std::vector<Cluster>& clusters, Offers& offers,
                         const std::vector<PreflightFacts>& all_facts, const JoinOptions& o) {
  std::vector<size_t> waiting;
  for (size_t r = 0; r < clusters.size(); ++r) {
    if (clusters[r].member.mesh_name != local.member.mesh_name)
      waiting.push_back(r);
  }
  std::map<std::size_t, LinkOutcome> by_remote;
  std::mutex by_remote_mutex;
  auto write = [&](const std::vector<std::size_t>& ready) {
    auto outcomes = write_wave(local, facts, live, clusters, offers, all_facts, ready, o);
    std::lock_guard lock(by_remote_mutex);
    for (std::size_t k = 0; k < ready.size(); ++k)
      by_remote.emplace(ready[k], std::move(outcomes[k]));
  };
  std::vector<std::thread> waves;
  while (!waiting.empty()) {
    auto ready = offers.take_published(waiting);
    if (waiting.empty())
      write(ready);
    else
      waves.emplace_back(write, std::move(ready));
  }
  for (auto& wave : waves)
    wave.join();

  LocalOutcome out;
  for (auto& [remote, l] : by_remote) {
    out.objects.insert(out.objects.end(), l.objects.begin(), l.objects.end());
    if (l.warning)
      out.warnings.push_back(*l.warning);
    if (l.changed_connection)
      out.changed_remotes.insert(l.link.remote);
    out.stored_kubeconfigs[l.link.remote] = std::move(l.stored_kubeconfig);
    if (l.first_write && (!out.first_change || *l.first_write < *out.first_change))
      out.first_change = l.first_write;
    out.links.push_back(std::move(l.link));
  }
  return out;
}

void summarise_objects(const std::string& cluster, const std::vector<ObjectResult>& results,
                       const char* stage, const ProgressFn& progress) {
  std::map<std::string, int> counts;
  for (const auto& r : results)
    counts[action_name(r.action)]++;
  std::string text;
  for (const auto& [action, n] : counts)
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", n, action);
  progress(cluster, fmt::format("{}: {}", stage, text.empty() ? "nothing to do" : text));
}

}  // namespace

Outcome JoinReport::outcome() const {
  if (!preflight_problems.empty())
    return preflight_outcome(preflight_problems);
  if (interrupted)
    return Outcome::interrupted;
  Outcome out = unreachable.empty() ? Outcome::ok : Outcome::unreachable;
  if (!errors.empty())
    out = worst(out, Outcome::failed);
  for (const auto& o : objects) {
    if (o.action == Action::failed)
      out = worst(out, Outcome::failed);
  }
  for (const auto& l : links) {
    if (!l.written)
      out = worst(out, Outcome::failed);
    else if (l.verified && l.state == calico::LinkState::stale_failure)
      out = worst(out, Outcome::stale_failures);
    else if (l.verified && l.state != calico::LinkState::in_sync)
      out = worst(out, Outcome::links_degraded);
  }
  return out;
}

int JoinReport::exit_code() const {
  return meshctl::exit_code(outcome());
}

JoinReport run_join(std::vector<Cluster>& clusters, const JoinOptions& options, const ProgressFn& progress) {
  JoinReport report;
  report.dry_run = options.dry_run;

  auto preflight = run_preflight(clusters, options);
  report.preflight_problems = preflight.problems;
  for (size_t i = 0; i < clusters.size(); ++i)
    report.clusters.push_back(
        {clusters[i].member.mesh_name, preflight.facts[i].flavour, preflight.facts[i].overlay_routing});
  if (!preflight.ok())
    return report;  // only the refusals: warnings about writes that will not happen would be noise
  report.warnings = preflight.warnings;
  for (size_t i = 0; i < clusters.size(); ++i) {
    progress(clusters[i].member.mesh_name,
             fmt::format("preflight passed (Calico {}, overlay routing {})",
                         calico::describe(preflight.facts[i].flavour), preflight.facts[i].overlay_routing));
  }

  // Clusters' identities and links proceed side by side: cluster i's offer
  // (task i) and cluster i's links (task n + i, each link waiting for its
  // remote's offer alone). L's links need only what L's remotes offer.
  const std::size_t n = clusters.size();
  Offers offers(n);
  std::vector<LiveState> link_live;  // what the links compare with; the offers take the rest
  for (const auto& facts : preflight.facts)
    link_live.push_back(facts.live);
  std::vector<LocalOutcome> outcomes(n);
  parallel_map<bool>(2 * n, [&](size_t task) {
    const size_t i = task % n;
    if (task < n) {
      offers.offers[i] = prepare_remote(clusters[i], preflight.facts[i], options, progress);
      summarise_objects(clusters[i].member.mesh_name, offers.offers[i].objects, "federation", progress);
      offers.publish(i);
      return true;
    }
    LocalOutcome outcome = write_links(clusters[i], preflight.facts[i], link_live[i], clusters, offers,
                                       preflight.facts, options);
    summarise_objects(clusters[i].member.mesh_name, outcome.objects, "links", progress);
    if (options.wait && !options.dry_run && !interrupted())
      verify_links(clusters[i], outcome, Clock::now() + options.timeout, VerifySettings::of(options),
                   progress);
    outcomes[i] = std::move(outcome);
    return true;
  });
  for (auto& offer : offers.offers) {
    report.objects.insert(report.objects.end(), offer.objects.begin(), offer.objects.end());
    report.warnings.insert(report.warnings.end(), offer.warnings.begin(), offer.warnings.end());
  }
  std::set<std::string> unreachable;
  for (size_t i = 0; i < n; ++i) {
    // An interrupted cluster is reported with the other skipped work, not as an error.
    const RemoteOffer& offer = offers.offers[i];
    if (!offer.ready && offer.error.code != Errc::interrupted)
      report.errors.push_back(offer.error);
    if (!offer.ready && lost_contact(offer.error.code, offer.error.http_status))
      unreachable.insert(clusters[i].member.mesh_name);
  }
  for (auto& outcome : outcomes) {
    for (const auto& o : outcome.objects) {
      if (o.action == Action::failed && lost_contact(o.error_code, o.error_http_status))
        unreachable.insert(o.cluster);
    }
    if (outcome.typha_unreachable && !outcome.links.empty())
      unreachable.insert(outcome.links.front().local);
    report.objects.insert(report.objects.end(), outcome.objects.begin(), outcome.objects.end());
    report.links.insert(report.links.end(), outcome.links.begin(), outcome.links.end());
    report.warnings.insert(report.warnings.end(), outcome.warnings.begin(), outcome.warnings.end());
  }
  for (const auto& o : report.objects) {
    if (o.action != Action::adopt)
      continue;
    report.warnings.push_back(
        fmt::format("{}: {} {}{} existed without meshctl's label; join {} and recorded that ({}): leave "
                    "and teardown will "
                    "release it, not delete it",
                    o.cluster, o.kind, o.namespace_.empty() ? "" : o.namespace_ + "/", o.name,
                    options.dry_run ? "would take it over" : "took it over", calico::kAdoptedAnnotation));
  }
  report.unreachable.assign(unreachable.begin(), unreachable.end());
  report.interrupted = interrupted();
  return report;
}

}  // namespace meshctl::mesh
