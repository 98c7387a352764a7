#include "mesh/apply.h"

#include <fmt/format.h>

#include "calico/names.h"
#include "util/interrupt.h"

namespace meshctl::mesh {
namespace {

Status list_into(kube::Client& client, const kube::Resource& resource, const std::string& ns,
                 LiveState& live) {
  TRY_ASSIGN(Json list, client.list(resource, ns, calico::managed_selector()));
  for (auto& item : list["items"]) {
    const auto& meta = item["metadata"];
    auto key =
        object_key(resource, resource.namespaced ? meta.value("namespace", "") : "", meta.value("name", ""));
    live.objects[key] = std::move(item);
  }
  return {};
}

// Another field manager besides meshctl means the object existed before
// meshctl took it over (e.g. made by Tigera's manifests).
bool has_foreign_manager(const Json& object) {
  const auto& managed = object["metadata"].value("managedFields", Json::array());
  for (const auto& entry : managed) {
    if (entry.value("manager", "") != "meshctl")
      return true;
  }
  return false;
}

// Items of a LIST carry no apiVersion/kind, so compare everything else.
bool matches_live(const Json& live, const Json& desired) {
  Json body = desired;
  body.erase("apiVersion");
  body.erase("kind");
  return json_contains(live, body);
}

ObjectResult result_for(const std::string& cluster, const DesiredObject& d) {
  ObjectResult r;
  r.cluster = cluster;
  r.kind = d.kind;
  r.namespace_ = d.namespace_;
  r.name = d.name;
  r.remote = d.remote;
  return r;
}

}  // namespace

const char* action_name(Action action) {
  switch (action) {
    case Action::create:
      return "create";
    case Action::update:
      return "update";
    case Action::unchanged:
      return "unchanged";
    case Action::adopt:
      return "adopt";
    case Action::failed:
      return "failed";
    case Action::skipped:
      return "skipped";
  }
  return "unknown";
}

const Json* LiveState::find(const DesiredObject& d) const {
  auto it = objects.find(object_key(d.resource, d.namespace_, d.name));
  return it == objects.end() ? nullptr : &it->second;
}

Result<LiveState> observe(kube::Client& client, const std::string& federation_ns,
                          const std::string& secret_ns) {
  namespace r = kube::resources;
  LiveState live;
  TRY(list_into(client, r::service_accounts, federation_ns, live));
  TRY(list_into(client, r::secrets, federation_ns, live));
  if (secret_ns != federation_ns)
    TRY(list_into(client, r::secrets, secret_ns, live));
  TRY(list_into(client, r::roles, secret_ns, live));
  TRY(list_into(client, r::role_bindings, secret_ns, live));
  TRY(list_into(client, r::cluster_roles, "", live));
  TRY(list_into(client, r::cluster_role_bindings, "", live));
  TRY(list_into(client, r::remote_cluster_configurations, "", live));
  return live;
}

std::vector<ObjectResult> apply_objects(kube::Client& client, const std::string& cluster,
                                        const std::vector<DesiredObject>& objects, LiveState& live,
                                        const JoinOptions& options) {
  std::vector<ObjectResult> results;
  bool stop = false;
  for (const auto& d : objects) {
    ObjectResult r = result_for(cluster, d);
    if (stop || interrupted()) {
      r.action = Action::skipped;
      r.error = interrupted() ? "interrupted" : "an earlier object of this cluster failed";
      results.push_back(std::move(r));
      stop = true;
      continue;
    }
    const Json* existing = live.find(d);
    if (existing != nullptr && matches_live(*existing, d.body)) {
      r.action = Action::unchanged;
      results.push_back(std::move(r));
      continue;
    }
    kube::ApplyOptions apply_options;
    apply_options.force = options.force_conflicts ? kube::Force::yes : kube::Force::no;
    apply_options.dry_run = options.dry_run ? kube::DryRun::yes : kube::DryRun::no;
    auto applied = client.apply(d.resource, d.namespace_, d.name, d.body, apply_options);
    if (!applied) {
      r.action = Action::failed;
      r.error = applied.error().message;
      r.error_code = applied.error().code;
      if (applied.error().code == Errc::conflict) {
        r.error +=
            " (another field manager owns these fields; re-run with --force-conflicts to take them over)";
      }
      stop = true;
    } else if (existing != nullptr) {
      r.action = Action::update;
    } else {
      r.action = has_foreign_manager(*applied) && !options.dry_run ? Action::adopt : Action::create;
    }
    if (applied && !options.dry_run)
      live.objects[object_key(d.resource, d.namespace_, d.name)] = *applied;
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace meshctl::mesh
