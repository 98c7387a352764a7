#include "mesh/teardown.h"

#include <fmt/format.h>

#include <algorithm>

#include "calico/names.h"
#include "kube/fields.h"
#include "mesh/apply.h"
#include "util/interrupt.h"
#include "util/parallel.h"

namespace meshctl::mesh {
namespace {

namespace r = kube::resources;
using kube::Json;

struct Found {
  const kube::Resource* resource;
  std::string kind, namespace_, name;
  bool managed = true;
  bool adopted = false;  // join took it over: release, do not delete
};

bool is_adopted(const Json& object) {
  return !kube::annotation_of(object, calico::kAdoptedAnnotation).empty();
}

std::string label(const Json& object, std::string_view key) {
  return kube::label_of(object, key);
}

// The objects to remove from one cluster, in deletion order: RCCs first so
// Typha stops using a link before its pools, Secret and RBAC go, the federation
// identity last.
Result<std::vector<Found>> find_targets(const Cluster& cluster, const TeardownOptions& o) {
  kube::ClusterApi& client = *cluster.client;
  const std::string& self = cluster.member.mesh_name;
  const bool leaving = o.leaving.count(self) > 0;
  auto wanted = [&](const Json& obj) {
    if (leaving)
      return true;
    return o.leaving.count(label(obj, calico::kRemoteClusterLabel)) > 0;
  };
  const std::string selector = calico::managed_selector();
  std::vector<Found> out;
  auto collect = [&](const kube::Resource& res, const char* kind, const std::string& ns) -> Status {
    auto list = client.list(res, ns, selector);
    if (!list) {
      // A least-privilege user may not read the legacy namespace at all, nor
      // Calico's pools (then meshctl made none there: join needs the list).
      const bool optional = ns == calico::kLegacyFederationNamespace || &res == &r::crd_ip_pools;
      if (optional && (list.error().code == Errc::forbidden || list.error().code == Errc::not_found))
        return {};
      return list.error();
    }
    for (const auto& item : kube::items(*list)) {
      if (!wanted(item))
        continue;
      out.push_back({&res, kind, res.namespaced ? ns : "", kube::metadata_string(item, "name"), true,
                     is_adopted(item)});
    }
    return {};
  };

  auto rccs = client.list(r::remote_cluster_configurations, "");
  if (!rccs)
    return rcc_list_error(cluster.member.context, rccs.error());
  for (const auto& item : kube::items(*rccs)) {
    std::string name = kube::metadata_string(item, "name");
    bool managed = label(item, calico::kManagedByLabel) == calico::kManagedByValue;
    if (managed ? wanted(item) : (leaving || o.leaving.count(name) > 0)) {
      out.push_back({&r::remote_cluster_configurations, "RemoteClusterConfiguration", "", name, managed,
                     is_adopted(item)});
    }
  }
  // Pools where this cluster keeps them: the Calico API where it serves
  // them, else the v1 CRDs (as mesh/fingerprint's ip_pool_resource picks).
  if (auto pools = client.list(r::ip_pools, "", selector); pools) {
    for (const auto& item : kube::items(*pools)) {
      if (wanted(item))
        out.push_back(
            {&r::ip_pools, "IPPool", "", kube::metadata_string(item, "name"), true, is_adopted(item)});
    }
  } else if (pools.error().code == Errc::not_found) {
    TRY(collect(r::crd_ip_pools, "IPPool", ""));
  } else if (pools.error().code != Errc::forbidden) {
    return pools.error();
  }
  TRY(collect(r::secrets, "Secret", o.secret_namespace));
  TRY(collect(r::role_bindings, "RoleBinding", o.secret_namespace));
  TRY(collect(r::roles, "Role", o.secret_namespace));
  if (!leaving)
    return out;
  for (const auto& ns : o.federation_namespaces) {
    if (ns != o.secret_namespace)
      TRY(collect(r::secrets, "Secret", ns));
  }
  TRY(collect(r::cluster_role_bindings, "ClusterRoleBinding", ""));
  TRY(collect(r::cluster_roles, "ClusterRole", ""));
  for (const auto& ns : o.federation_namespaces)
    TRY(collect(r::service_accounts, "ServiceAccount", ns));
  return out;
}

std::vector<DeletedObject> delete_targets(kube::ClusterApi& client, const std::string& cluster,
                                          const std::vector<Found>& targets, const TeardownOptions& o) {
  std::vector<DeletedObject> out;
  for (const auto& t : targets) {
    DeletedObject d{cluster, t.kind, t.namespace_, t.name, Removal::failed, ""};
    if (!t.managed && !o.include_unmanaged) {
      d.action = Removal::kept_unmanaged;
      d.detail = "not made by meshctl; pass --include-unmanaged to delete it";
    } else if (interrupted()) {
      d.action = Removal::failed;
      d.detail = "interrupted";
    } else if (t.adopted && !o.include_adopted) {
      auto released = release_adopted(client, *t.resource, t.namespace_, t.name,
                                      o.dry_run ? kube::DryRun::yes : kube::DryRun::no);
      if (!released) {
        d.action = Removal::failed;
        d.detail = released.error().message;
      } else {
        d.action = o.dry_run ? Removal::would_release : Removal::released;
        d.detail =
            "existed before meshctl took it over: kept, meshctl's labels removed; --include-adopted deletes "
            "it";
      }
    } else {
      auto removed = client.remove(*t.resource, t.namespace_, t.name, kube::Propagation::background,
                                   o.dry_run ? kube::DryRun::yes : kube::DryRun::no);
      if (!removed) {
        d.action = Removal::failed;
        d.detail = removed.error().message;
      } else {
        d.action = o.dry_run ? Removal::would_delete : (*removed ? Removal::deleted : Removal::already_gone);
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

const char* removal_name(Removal removal) {
  switch (removal) {
    case Removal::deleted:
      return "deleted";
    case Removal::would_delete:
      return "would-delete";
    case Removal::already_gone:
      return "already-gone";
    case Removal::released:
      return "released";
    case Removal::would_release:
      return "would-release";
    case Removal::kept_unmanaged:
      return "kept-unmanaged";
    case Removal::unlabelled:
      return "unlabelled";
    case Removal::failed:
      break;
  }
  return "failed";
}

Outcome TeardownReport::outcome() const {
  if (interrupted)
    return Outcome::interrupted;
  if (not_confirmed)
    return Outcome::failed;
  Outcome out = Outcome::ok;
  for (const auto& u : unreachable)  // unreachable, or refusing the credentials or the search
    out = worst(out, outcome_of(u.code));
  for (const auto& o : objects) {
    if (o.action == Removal::failed)
      out = worst(out, Outcome::failed);
  }
  return out;
}

int TeardownReport::exit_code() const {
  return meshctl::exit_code(outcome());
}

TeardownReport run_teardown(std::vector<Cluster>& clusters, const std::vector<bool>& discovered,
                            const TeardownOptions& options, const ProgressFn& progress) {
  TeardownReport report;
  report.dry_run = options.dry_run;
  report.forced = options.force;
  // Find everything first, everywhere: without --force, one unreachable
  // cluster stops the run before anything is deleted.
  auto found = parallel_map<Result<std::vector<Found>>>(
      clusters.size(),
      [&](size_t i) -> Result<std::vector<Found>> { return find_targets(clusters[i], options); });
  std::set<std::string> linked;  // every cluster some reachable RCC points at
  for (const auto& targets : found) {
    if (!targets)
      continue;
    for (const auto& t : *targets) {
      if (t.kind == "RemoteClusterConfiguration")
        linked.insert(t.name);
    }
  }
  bool blocked = false;
  for (size_t i = 0; i < clusters.size(); ++i) {
    if (found[i])
      continue;
    const auto& name = clusters[i].member.mesh_name;
    bool named = i >= discovered.size() || !discovered[i];
    if (!named && linked.count(name) == 0) {
      report.warnings.push_back(
          fmt::format("context \"{}\" did not answer and no RemoteClusterConfiguration points "
                      "at it; it was skipped",
                      clusters[i].member.context));
      continue;
    }
    report.unreachable.push_back(ClusterProblem::of(name, found[i].error()));
    blocked = blocked || !options.force;
  }
  if (blocked)
    return report;

  auto delete_found = [&](const TeardownOptions& o, TeardownReport& into) {
    auto deleted = parallel_map<std::vector<DeletedObject>>(clusters.size(), [&](size_t i) {
      if (!found[i])
        return std::vector<DeletedObject>{};
      auto result = delete_targets(*clusters[i].client, clusters[i].member.mesh_name, *found[i], o);
      progress(clusters[i].member.mesh_name,
               fmt::format("{} object(s) {}", result.size(), o.dry_run ? "would be deleted" : "processed"));
      return result;
    });
    for (auto& list : deleted)
      into.objects.insert(into.objects.end(), list.begin(), list.end());
  };
  if (options.confirm && !options.dry_run) {
    TeardownOptions preview_options = options;
    preview_options.dry_run = true;
    TeardownReport preview = report;
    preview.dry_run = true;
    delete_found(preview_options, preview);
    // A delete the API already refuses in the dry run would leave the mesh
    // half torn down: show that, do not ask.
    if (std::any_of(preview.objects.begin(), preview.objects.end(),
                    [](const DeletedObject& d) { return d.action == Removal::failed; }))
      return preview;
    const bool yes = options.confirm(preview);
    report.interrupted = interrupted();
    report.not_confirmed = !yes && !report.interrupted;
    if (!yes || report.interrupted)
      return report;
  }
  delete_found(options, report);
  return report;
}

}  // namespace meshctl::mesh
