#include "mesh/federate.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "calico/names.h"
#include "kube/fields.h"
#include "mesh/fingerprint.h"
#include "mesh/objects.h"
#include "util/parallel.h"
#include "util/poll.h"

namespace meshctl::mesh {
namespace {

namespace r = kube::resources;
using kube::Json;
using Clock = std::chrono::steady_clock;

const kube::Resource kEndpointSlices{"discovery.k8s.io", "v1", "endpointslices", true};
constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";

// What one member holds, read before anything is written.
struct MemberFacts {
  bool reachable = false;
  std::vector<Error> problems;    // one line each, this member only
  std::optional<Json> backing;    // the backing Service
  std::optional<Json> federated;  // a Service already named like the federated one
  std::set<std::string> rccs;     // remotes this member is meshed with
  bool namespace_exists = false;
  std::optional<calico::Licence> licence;
  std::optional<bool> controller_ready;  // a calico-kube-controllers pod is Ready; nullopt: unread
};

bool is_ready_pod(const Json& pod) {
  for (const auto& c : kube::object_at(pod, "status").value("conditions", Json::array())) {
    if (c.is_object() && c.value("type", "") == "Ready")
      return c.value("status", "") == "True";
  }
  return false;
}

MemberFacts read_member(Cluster& c, const FederateOptions& o) {
  MemberFacts f;
  kube::ClusterApi& client = *c.client;
  auto ns = client.get(r::namespaces, "", o.namespace_);
  if (!ns && ns.error().code != Errc::not_found) {
    f.problems.emplace_back(ns.error().code, fmt::format("{}: {}", c.member.context, ns.error().message),
                            ns.error().hint);
    return f;
  }
  f.reachable = true;
  f.namespace_exists = static_cast<bool>(ns);
  if (f.namespace_exists) {
    for (auto [name, into] : {std::pair{o.service, &f.backing}, std::pair{o.name, &f.federated}}) {
      auto svc = client.get(r::services, o.namespace_, name);
      if (svc)
        *into = std::move(*svc);
      else if (svc.error().code != Errc::not_found)
        f.problems.emplace_back(svc.error().code,
                                fmt::format("{}: reading Service {}/{}: {}", c.member.context, o.namespace_,
                                            name, svc.error().message),
                                svc.error().hint);
    }
  }
  if (auto rccs = client.list(r::remote_cluster_configurations, "")) {
    for (const auto& item : kube::items(*rccs))
      f.rccs.insert(kube::metadata_string(item, "name"));
  }
  f.licence = read_flavour(client, FlavourReads::calico_kind).licence;
  if (auto pods = client.list(r::pods, std::string(calico::kCalicoNamespace),
                              std::string(calico::kKubeControllersPodSelector))) {
    const auto& items = kube::items(*pods);
    f.controller_ready = std::any_of(items.begin(), items.end(), is_ready_pod);
  }
  return f;
}

}  // namespace

int ready_endpoints(kube::ClusterApi& client, const std::string& ns, const std::string& service) {
  auto slices = client.list(kEndpointSlices, ns, std::string(kServiceNameLabel) + "=" + service);
  if (!slices)
    return 0;
  int ready = 0;
  for (const auto& slice : kube::items(*slices)) {
    for (const auto& ep : slice.value("endpoints", Json::array())) {
      const auto& conditions = kube::object_at(ep, "conditions");
      const auto it = conditions.find("ready");
      // Unset ready means ready (discovery.k8s.io/v1).
      if (it == conditions.end() || !it->is_boolean() || it->get<bool>())
        ready += static_cast<int>(ep.value("addresses", Json::array()).size());
    }
  }
  return ready;
}

namespace {

// The preflight refusals, one line each; nothing is written when any is found.
void judge(const std::vector<Cluster>& clusters, const std::vector<MemberFacts>& facts,
           const std::vector<size_t>& targets, const FederateOptions& o, FederateReport& report) {
  auto refuse = [&](const std::string& cluster, Errc code, std::string message, std::string hint) {
    report.problems.push_back({cluster, code, std::move(message), std::move(hint)});
  };
  bool anywhere = false;
  for (size_t i = 0; i < clusters.size(); ++i) {
    for (const auto& e : facts[i].problems)
      refuse(clusters[i].member.mesh_name, e.code, e.message, e.hint);
    anywhere = anywhere || facts[i].backing.has_value();
  }
  if (!report.problems.empty())
    return;
  if (!anywhere) {
    refuse(clusters.front().member.mesh_name, Errc::precondition,
           fmt::format("Service {}/{} exists in none of the clusters", o.namespace_, o.service),
           "create it where its pods run, or check -n and the name");
    return;
  }
  for (size_t i = 0; i < clusters.size(); ++i) {
    const auto& name = clusters[i].member.mesh_name;
    if (!facts[i].backing)
      continue;
    for (const auto& port : kube::object_at(*facts[i].backing, "spec").value("ports", Json::array())) {
      if (port.value("name", "").empty()) {
        refuse(name, Errc::precondition,
               fmt::format("{}: Service {}/{} has an unnamed port {}: the federated-services controller "
                           "matches ports by name",
                           name, o.namespace_, o.service, port.value("port", 0)),
               "name every port of the Service");
      }
    }
  }
  for (size_t t : targets) {
    const auto& local = clusters[t].member.mesh_name;
    const MemberFacts& f = facts[t];
    if (!f.namespace_exists) {
      refuse(
          local, Errc::precondition,
          fmt::format("{}: namespace {} does not exist, and the federated Service must live in the "
                      "backing Services' namespace",
                      local, o.namespace_),
          fmt::format("kubectl --context {} create namespace {}", clusters[t].member.context, o.namespace_));
      continue;
    }
    if (f.federated && !carries_managed_label(*f.federated)) {
      refuse(local, Errc::conflict,
             fmt::format("{}: Service {}/{} exists and was not made by meshctl", local, o.namespace_, o.name),
             "choose another --name");
    }
    for (size_t i = 0; i < clusters.size(); ++i) {
      const auto& remote = clusters[i].member.mesh_name;
      if (i == t || !facts[i].backing || f.rccs.count(remote) > 0)
        continue;
      refuse(local, Errc::precondition,
             fmt::format("{} is not meshed with {} (no RemoteClusterConfiguration {}), so it cannot see {}'s "
                         "endpoints",
                         local, remote, remote, remote),
             fmt::format("meshctl join {} {}", clusters[t].member.context, clusters[i].member.context));
    }
    if (f.licence == calico::Licence::missing || f.licence == calico::Licence::expired) {
      refuse(
          local, Errc::precondition,
          fmt::format("{}: the Calico Enterprise licence is {}, and the federated-services controller does "
                      "not run without one",
                      local, calico::licence_name(*f.licence)),
          "apply a LicenseKey that includes federated-services");
    } else if (f.controller_ready == false) {
      refuse(local, Errc::precondition,
             fmt::format("{}: no calico-kube-controllers pod is Ready, and the federated-services controller "
                         "runs in it",
                         local),
             fmt::format("kubectl --context {} -n calico-system get pods -l k8s-app=calico-kube-controllers",
                         clusters[t].member.context));
    }
  }
}

Json federated_service(const FederateOptions& o, const std::vector<Json>& backing) {
  auto body = render_manifest("federated-service", {{"NAME", o.name},
                                                    {"NAMESPACE", o.namespace_},
                                                    {"SERVICE", o.service},
                                                    {"SELECTOR", federation_selector(o)}});
  Json service = body ? *body : Json::object();
  Json ports = Json::array();
  std::set<std::string> seen;
  for (const auto& svc : backing) {
    for (const auto& port : kube::object_at(svc, "spec").value("ports", Json::array())) {
      const std::string name = port.value("name", "");
      if (!seen.insert(name).second)
        continue;
      ports.push_back(
          {{"name", name}, {"port", port.value("port", 0)}, {"protocol", port.value("protocol", "TCP")}});
    }
  }
  service["spec"]["ports"] = ports;
  return service;
}

Result<Action> label_backing(kube::ClusterApi& client, const Json& backing, const FederateOptions& o) {
  const bool already = kube::label_of(backing, o.label_key) == o.label_value;
  Json intent = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       {{"name", o.service}, {"namespace", o.namespace_}, {"labels", {{o.label_key, o.label_value}}}}}};
  kube::ApplyOptions apply;
  apply.field_manager = federation_field_manager(o);
  apply.dry_run = o.dry_run ? kube::DryRun::yes : kube::DryRun::no;
  auto applied = client.apply(r::services, o.namespace_, o.service, intent, apply);
  if (!applied)
    return applied.error();
  return already ? Action::unchanged : Action::create;
}

}  // namespace

FederatedTarget read_federated(kube::ClusterApi& client, const std::string& local, const std::string& ns,
                               const std::string& name, const std::map<std::string, int>& ready_by_cluster) {
  FederatedTarget t;
  t.cluster = local;
  if (auto endpoints = client.get(r::endpoints, ns, name))
    t.endpoints_by_source = endpoints_by_source(*endpoints, local);
  if (auto slices = client.list(kEndpointSlices, ns, std::string(kServiceNameLabel) + "=" + name)) {
    for (const auto& slice : kube::items(*slices)) {
      for (const auto& ep : slice.value("endpoints", Json::array()))
        t.mirrored += static_cast<int>(ep.value("addresses", Json::array()).size());
    }
  }
  int listed = 0;
  for (const auto& [cluster, n] : t.endpoints_by_source)
    listed += n;
  for (const auto& [cluster, ready] : ready_by_cluster) {
    auto it = t.endpoints_by_source.find(cluster);
    if (ready > 0 && (it == t.endpoints_by_source.end() || it->second == 0 || t.mirrored < listed))
      t.missing.push_back(cluster);
  }
  return t;
}

std::string federation_selector(const FederateOptions& o) {
  return fmt::format("{} == \"{}\"", o.label_key, o.label_value);
}

std::string federation_field_manager(const FederateOptions& o) {
  return "meshctl-federate-" + o.name;
}

std::map<std::string, int> endpoints_by_source(const Json& endpoints, const std::string& local) {
  std::map<std::string, int> out;
  for (const auto& subset : endpoints.value("subsets", Json::array())) {
    for (const auto& address : subset.value("addresses", Json::array())) {
      const std::string pod = kube::string_at(kube::object_at(address, "targetRef"), "name");
      const auto slash = pod.find('/');
      out[slash == std::string::npos ? local : pod.substr(0, slash)]++;
    }
  }
  return out;
}

Outcome FederateReport::outcome() const {
  if (!problems.empty())
    return preflight_outcome(problems);
  Outcome out = Outcome::ok;
  for (const auto& b : backing) {
    if (b.action == Action::failed)
      out = worst(out, Outcome::failed);
  }
  for (const auto& t : targets) {
    if (t.action == Action::failed)
      out = worst(out, Outcome::failed);
    else if (waited && !t.missing.empty())
      out = worst(out, Outcome::links_degraded);
  }
  return out;
}

int FederateReport::exit_code() const {
  return meshctl::exit_code(outcome());
}

FederateReport run_federate(std::vector<Cluster>& clusters, const FederateOptions& o,
                            const ProgressFn& progress) {
  FederateReport report;
  report.dry_run = o.dry_run;
  std::vector<size_t> targets;
  for (size_t i = 0; i < clusters.size(); ++i) {
    const auto& name = clusters[i].member.mesh_name;
    if (o.targets.empty() || std::find(o.targets.begin(), o.targets.end(), name) != o.targets.end())
      targets.push_back(i);
  }
  auto facts =
      parallel_map<MemberFacts>(clusters.size(), [&](size_t i) { return read_member(clusters[i], o); });
  judge(clusters, facts, targets, o, report);
  if (!report.problems.empty())
    return report;

  std::vector<Json> backing;
  for (const auto& f : facts) {
    if (f.backing)
      backing.push_back(*f.backing);
  }
  const Json desired = federated_service(o, backing);
  report.backing = parallel_map<BackingService>(clusters.size(), [&](size_t i) {
    BackingService b{clusters[i].member.mesh_name, facts[i].backing.has_value(), 0, Action::skipped, ""};
    if (!b.exists)
      return b;
    auto labelled = label_backing(*clusters[i].client, *facts[i].backing, o);
    b.action = labelled ? *labelled : Action::failed;
    b.error = labelled ? "" : labelled.error().message;
    b.ready_endpoints = ready_endpoints(*clusters[i].client, o.namespace_, o.service);
    progress(b.cluster, fmt::format("Service {}/{}: labelled {}={}, {} ready endpoint(s)", o.namespace_,
                                    o.service, o.label_key, o.label_value, b.ready_endpoints));
    return b;
  });
  std::map<std::string, int> ready_by_cluster;
  for (const auto& b : report.backing) {
    if (b.exists)
      ready_by_cluster[b.cluster] = b.ready_endpoints;
  }
  report.targets = parallel_map<FederatedTarget>(targets.size(), [&](size_t k) {
    Cluster& c = clusters[targets[k]];
    FederatedTarget t;
    t.cluster = c.member.mesh_name;
    kube::ApplyOptions apply;
    apply.dry_run = o.dry_run ? kube::DryRun::yes : kube::DryRun::no;
    const auto& existing = facts[targets[k]].federated;
    auto applied = c.client->apply(r::services, o.namespace_, o.name, desired, apply);
    if (!applied) {
      t.action = Action::failed;
      t.error = applied.error().message;
      return t;
    }
    // What federate owns: the labels, the annotation and the spec it asked for.
    const Json owned = {
        {"metadata",
         {{"labels", desired["metadata"]["labels"]}, {"annotations", desired["metadata"]["annotations"]}}},
        {"spec", desired["spec"]}};
    t.action = applied->created                              ? Action::create
               : existing && json_contains(*existing, owned) ? Action::unchanged
                                                             : Action::update;
    progress(t.cluster,
             fmt::format("federated Service {}/{}: {}", o.namespace_, o.name, action_name(t.action)));
    return t;
  });
  if (!o.wait || o.dry_run)
    return report;
  report.waited = true;
  const auto deadline = Clock::now() + o.timeout;
  for (size_t k = 0; k < targets.size(); ++k) {
    if (report.targets[k].action == Action::failed)
      continue;
    Cluster& c = clusters[targets[k]];
    poll_until(deadline, std::chrono::milliseconds(500), [&] {
      auto seen = read_federated(*c.client, c.member.mesh_name, o.namespace_, o.name, ready_by_cluster);
      seen.action = report.targets[k].action;
      report.targets[k] = std::move(seen);
      return report.targets[k].missing.empty();
    });
  }
  return report;
}

Status complete_options(FederateOptions& o, const std::string& selector) {
  if (o.namespace_.empty())
    return Error(Errc::usage, "the backing Service's namespace is needed", "pass -n NAMESPACE");
  if (o.name.empty())
    o.name = o.service + "-federated";
  if (o.name == o.service)
    return Error(Errc::usage, "--name must differ from the backing Service's name",
                 "the federated Service lives beside it in the same namespace");
  if (selector.empty()) {
    o.label_key = std::string(kFederatedAsLabel);
    o.label_value = o.name;
    return {};
  }
  const auto eq = selector.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == selector.size())
    return Error(Errc::usage, "--selector \"" + selector + "\" is not KEY=VALUE",
                 "e.g. --selector federation=yes");
  o.label_key = selector.substr(0, eq);
  o.label_value = selector.substr(eq + 1);
  return {};
}

Result<std::vector<std::string>> resolve_targets(const std::vector<std::string>& in,
                                                 const std::vector<Cluster>& clusters) {
  std::vector<std::string> out;
  for (const auto& want : in) {
    auto it = std::find_if(clusters.begin(), clusters.end(), [&](const Cluster& c) {
      return c.member.mesh_name == want || c.member.context == want;
    });
    if (it == clusters.end())
      return Error(Errc::usage, "--in " + want + " is not one of the clusters of this command",
                   "name it among the contexts too, or leave out --in");
    out.push_back(it->member.mesh_name);
  }
  return out;
}

Outcome UnfederateReport::outcome() const {
  Outcome out = Outcome::ok;
  for (const auto& c : changes) {
    if (c.action == Removal::failed)
      out = worst(out, Outcome::failed);
  }
  return out;
}

int UnfederateReport::exit_code() const {
  return meshctl::exit_code(outcome());
}

UnfederateReport run_unfederate(std::vector<Cluster>& clusters, const FederateOptions& o) {
  UnfederateReport report;
  report.dry_run = o.dry_run;
  const auto dry_run = o.dry_run ? kube::DryRun::yes : kube::DryRun::no;
  auto per_cluster = parallel_map<std::vector<DeletedObject>>(clusters.size(), [&](size_t i) {
    std::vector<DeletedObject> out;
    kube::ClusterApi& client = *clusters[i].client;
    const std::string& cluster = clusters[i].member.mesh_name;
    if (auto federated = client.get(r::services, o.namespace_, o.name)) {
      DeletedObject d{cluster, "Service", o.namespace_, o.name, Removal::failed, ""};
      if (!carries_managed_label(*federated)) {
        d.action = Removal::kept_unmanaged;
        d.detail = "not made by meshctl";
      } else if (auto removed =
                     client.remove(r::services, o.namespace_, o.name, kube::Propagation::background, dry_run);
                 !removed) {
        d.action = Removal::failed;
        d.detail = removed.error().message;
      } else {
        d.action = o.dry_run ? Removal::would_delete : Removal::deleted;
      }
      out.push_back(std::move(d));
    } else if (federated.error().code != Errc::not_found) {
      out.push_back({cluster, "Service", o.namespace_, o.name, Removal::failed, federated.error().message});
    }
    auto backing = client.get(r::services, o.namespace_, o.service);
    if (!backing || kube::label_of(*backing, o.label_key) != o.label_value)
      return out;
    // An empty intent under federate's field manager: server-side apply
    // removes the label unless another manager set it too.
    Json intent = {{"apiVersion", "v1"},
                   {"kind", "Service"},
                   {"metadata", {{"name", o.service}, {"namespace", o.namespace_}}}};
    kube::ApplyOptions apply;
    apply.field_manager = federation_field_manager(o);
    apply.dry_run = dry_run;
    DeletedObject d{cluster, "Service", o.namespace_, o.service, Removal::failed, ""};
    auto applied = client.apply(r::services, o.namespace_, o.service, intent, apply);
    if (!applied) {
      d.action = Removal::failed;
      d.detail = applied.error().message;
    } else if (kube::label_of(applied->object, o.label_key) == o.label_value) {
      d.action = Removal::kept_unmanaged;
      d.detail = fmt::format("label {}={} was also set by another hand: kept", o.label_key, o.label_value);
    } else {
      d.action = Removal::unlabelled;
      d.detail = fmt::format("label {} removed", o.label_key);
    }
    out.push_back(std::move(d));
    return out;
  });
  for (auto& list : per_cluster)
    report.changes.insert(report.changes.end(), list.begin(), list.end());
  return report;
}

}  // namespace meshctl::mesh
