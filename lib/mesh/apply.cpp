#include "mesh/apply.h"

#include <fmt/format.h>

#include <optional>
#include <set>

#include "calico/names.h"
#include "kube/exec_credential.h"
#include "kube/fields.h"
#include "util/interrupt.h"
#include "util/parallel.h"

namespace meshctl::mesh {
namespace {

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

// Marks an object join took over (it existed without meshctl's label), so
// that leave and teardown release it instead of deleting what someone else
// made. Its own field manager keeps meshctl's later applies from removing it.
Result<Json> record_adoption(kube::ClusterApi& client, const DesiredObject& d, kube::DryRun dry_run) {
  Json patch = {
      {"metadata", {{"annotations", {{std::string(calico::kAdoptedAnnotation), kube::now_rfc3339()}}}}}};
  return client.merge_patch(d.resource, d.namespace_, d.name, patch,
                            std::string(calico::kAdoptionFieldManager), dry_run);
}

// Preflight read every kind join writes (labelled lists, and the names the
// documented procedure uses), so an object reaches here only when it differs
// from what preflight saw or was not seen: created, taken over, or updated.
Action classify(const kube::Applied& applied, const Json* observed) {
  if (applied.created)
    return Action::create;
  return observed != nullptr && carries_managed_label(*observed) ? Action::update : Action::adopt;
}

Json without_metadata(const Json& body) {
  Json out = body;
  for (const char* key : {"metadata", "apiVersion", "kind"})
    out.erase(key);
  return out;
}

// Calico's aggregated API server before projectcalico/calico#4959 was fixed
// answers a server-side apply with 500 "no serializer defined for
// application/yaml"; a server without apply support answers 415.
bool apply_refused(const Error& e) {
  return e.http_status == 415 ||
         (e.http_status == 500 && e.message.find("no serializer") != std::string::npos);
}

// The same write without server-side apply: create, or update the current
// object (its resourceVersion guards against a concurrent change) with
// meshctl's labels and annotations added and its content (spec, data, ...)
// replaced by the desired one.
Result<kube::Applied> write_without_apply(kube::ClusterApi& client, const DesiredObject& d,
                                          const kube::ApplyOptions& apply_options) {
  for (int attempt = 0;; ++attempt) {
    auto current = client.get(d.resource, d.namespace_, d.name);
    if (!current && current.error().code != Errc::not_found)
      return current.error();
    if (!current) {
      auto created = client.create_object(d.resource, d.namespace_, d.body, apply_options.field_manager,
                                          apply_options.dry_run);
      if (created)
        return kube::Applied{std::move(*created), true};
      if (created.error().code != Errc::already_exists || attempt > 0)
        return created.error();
      continue;
    }
    if (!carries_managed_label(*current) && apply_options.force == kube::Force::no &&
        !json_contains(*current, without_metadata(d.body))) {
      // What server-side apply refuses as a conflict: an object another tool
      // made, with other content. Never overwritten unless asked.
      return Error(Errc::conflict,
                   fmt::format("{} {} exists, made by another tool, with other content", d.kind,
                               d.namespace_.empty() ? d.name : d.namespace_ + "/" + d.name));
    }
    Json body = *current;
    for (const char* part : {"labels", "annotations"}) {
      const Json wanted = d.body["metadata"].value(part, Json::object());
      for (const auto& [key, value] : wanted.items())
        body["metadata"][part][key] = value;
    }
    const Json content = without_metadata(d.body);
    for (const auto& [key, value] : content.items())
      body[key] = value;
    auto updated = client.update_object(d.resource, d.namespace_, d.name, body, apply_options.field_manager,
                                        apply_options.dry_run);
    if (updated)
      return kube::Applied{std::move(*updated), false};
    if (updated.error().code != Errc::conflict || attempt > 0)
      return updated.error();
  }
}

struct Written {
  ObjectResult result;
  std::optional<Json> object;  // the server's answer, when it wrote something
};

// Will settling this answer take more requests (a write without apply, the
// adoption record)?
bool needs_follow_up(const Result<kube::Applied>& applied, const Json* existing) {
  return applied ? classify(*applied, existing) == Action::adopt : apply_refused(applied.error());
}

// What the server's answer to one apply means, with the requests it may
// still take: the same write without apply where the server refuses apply,
// the adoption record where join took the object over.
Written settle(kube::ClusterApi& client, const std::string& cluster, const DesiredObject& d,
               const Json* existing, Result<kube::Applied> applied, const kube::ApplyOptions& apply_options) {
  ObjectResult r = result_for(cluster, d);
  if (!applied && apply_refused(applied.error()))
    applied = write_without_apply(client, d, apply_options);
  if (!applied) {
    r.action = Action::failed;
    r.error = applied.error().message;
    r.error_code = applied.error().code;
    r.error_http_status = applied.error().http_status;
    if (applied.error().code == Errc::conflict) {
      r.error +=
          " (another field manager owns these fields; re-run with --force-conflicts to take them over)";
    }
    return {r, std::nullopt};
  }
  r.action = classify(*applied, existing);
  if (r.action == Action::adopt) {
    auto adopted = record_adoption(client, d, apply_options.dry_run);
    if (!adopted) {
      r.action = Action::failed;
      r.error =
          fmt::format("took over {} {} but could not record it ({}): leave and teardown would delete it",
                      d.kind, d.name, adopted.error().message);
      r.error_code = adopted.error().code;
      return {r, std::nullopt};
    }
    applied->object = std::move(*adopted);
  }
  return {r, std::move(applied->object)};
}

// One round: the objects that differ from what preflight saw are applied
// together with apply_all (one thread, one request each on the cluster's
// connection); answers that take more requests are settled side by side.
std::vector<Written> apply_round(kube::ClusterApi& client, const std::string& cluster,
                                 const std::vector<const DesiredObject*>& objects, const LiveState& live,
                                 const kube::ApplyOptions& how) {
  const std::size_t count = objects.size();
  std::vector<Written> out(count);
  std::vector<const Json*> existing(count);
  std::vector<kube::ApplyItem> items;
  std::vector<std::size_t> sent;
  for (std::size_t i = 0; i < count; ++i) {
    const DesiredObject& d = *objects[i];
    existing[i] = live.find(d);
    if (existing[i] != nullptr && matches_live(*existing[i], d.body)) {
      out[i].result = result_for(cluster, d);
      out[i].result.action = Action::unchanged;
      continue;
    }
    items.push_back({&d.resource, d.namespace_, d.name, &d.body});
    sent.push_back(i);
  }
  if (items.empty())
    return out;
  auto answers = client.apply_all(items, how);
  std::vector<std::size_t> follow_ups;
  for (std::size_t k = 0; k < sent.size(); ++k) {
    const std::size_t i = sent[k];
    if (needs_follow_up(answers[k], existing[i]))
      follow_ups.push_back(k);
    else
      out[i] = settle(client, cluster, *objects[i], existing[i], std::move(answers[k]), how);
  }
  auto settled = parallel_map<Written>(follow_ups.size(), [&](std::size_t f) {
    const std::size_t i = sent[follow_ups[f]];
    return settle(client, cluster, *objects[i], existing[i], std::move(answers[follow_ups[f]]), how);
  });
  for (std::size_t f = 0; f < follow_ups.size(); ++f)
    out[sent[follow_ups[f]]] = std::move(settled[f]);
  return out;
}

ObjectResult skipped(const std::string& cluster, const DesiredObject& d) {
  ObjectResult r = result_for(cluster, d);
  r.action = Action::skipped;
  r.error = interrupted() ? "interrupted" : "an earlier object of this cluster failed";
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
    case Action::remove:
      return "delete";
    case Action::failed:
      return "failed";
    case Action::skipped:
      return "skipped";
  }
  return "unknown";
}

std::vector<ObjectResult> remove_stale_remote_pools(kube::ClusterApi& client, const std::string& cluster,
                                                    const std::string& remote, const kube::Resource& pools,
                                                    const std::vector<DesiredObject>& keep,
                                                    const LiveState& live, kube::DryRun dry_run) {
  std::set<std::string> kept;
  for (const auto& d : keep) {
    if (d.kind == "IPPool")
      kept.insert(d.name);
  }
  std::vector<ObjectResult> out;
  for (const auto& [key, object] : live.objects) {
    const std::string name = kube::metadata_string(object, "name");
    if (key != object_key(pools, "", name) || kept.count(name) > 0 ||
        kube::label_of(object, calico::kRoleLabel) != calico::kRemotePoolRole ||
        kube::label_of(object, calico::kRemoteClusterLabel) != remote || !carries_managed_label(object))
      continue;
    // A pool that existed before join took it over is not meshctl's to
    // delete (leave and teardown release such objects); it is left as it is.
    if (!kube::annotation_of(object, calico::kAdoptedAnnotation).empty())
      continue;
    ObjectResult r{cluster, "IPPool", "", name, remote, Action::remove, "", Errc::internal, 0};
    auto removed = client.remove(pools, "", name, kube::Propagation::background, dry_run);
    if (!removed) {
      r.action = Action::failed;
      r.error = removed.error().message;
      r.error_code = removed.error().code;
      r.error_http_status = removed.error().http_status;
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<Json> release_adopted(kube::ClusterApi& client, const kube::Resource& resource, const std::string& ns,
                             const std::string& name, kube::DryRun dry_run) {
  Json labels = Json::object();
  for (auto key :
       {calico::kManagedByLabel, calico::kRoleLabel, calico::kLocalClusterLabel, calico::kRemoteClusterLabel})
    labels[std::string(key)] = nullptr;
  Json patch = {
      {"metadata",
       {{"labels", labels}, {"annotations", {{std::string(calico::kAdoptedAnnotation), nullptr}}}}}};
  return client.merge_patch(resource, ns, name, patch, std::string(calico::kAdoptionFieldManager), dry_run);
}

kube::ApplyOptions write_options(const JoinOptions& options) {
  kube::ApplyOptions out;
  out.force = options.force_conflicts ? kube::Force::yes : kube::Force::no;
  out.dry_run = options.dry_run ? kube::DryRun::yes : kube::DryRun::no;
  return out;
}

std::vector<ObjectResult> apply_objects(kube::ClusterApi& client, const std::string& cluster,
                                        const std::vector<DesiredObject>& objects, const LiveState& live,
                                        const kube::ApplyOptions& how, LiveState* record) {
  return std::move(apply_chains(client, cluster, {&objects}, live, how, record).front());
}

std::vector<std::vector<ObjectResult>> apply_chains(
    kube::ClusterApi& client, const std::string& cluster,
    const std::vector<const std::vector<DesiredObject>*>& chains, const LiveState& live,
    const kube::ApplyOptions& how, LiveState* record) {
  const std::size_t n = chains.size();
  std::vector<std::vector<ObjectResult>> results(n);
  std::vector<std::size_t> next(n, 0);  // each chain's first object not yet written
  std::vector<bool> stop(n, false);
  auto unwritten = [&] {
    for (std::size_t c = 0; c < n; ++c) {
      if (next[c] < chains[c]->size())
        return true;
    }
    return false;
  };
  while (unwritten()) {
    // This step: the next round of every chain that has one.
    std::vector<const DesiredObject*> round;
    std::vector<std::size_t> owner;  // the chain of each of `round`
    for (std::size_t c = 0; c < n; ++c) {
      const auto& objects = *chains[c];
      std::size_t end = next[c];
      while (end < objects.size() && (end == next[c] || objects[end].order == WriteOrder::with_previous))
        ++end;
      stop[c] = stop[c] || (end > next[c] && interrupted());
      for (std::size_t i = next[c]; i < end; ++i) {
        if (stop[c]) {
          results[c].push_back(skipped(cluster, objects[i]));
        } else {
          round.push_back(&objects[i]);
          owner.push_back(c);
        }
      }
      next[c] = end;
    }
    auto written = apply_round(client, cluster, round, live, how);
    for (std::size_t i = 0; i < written.size(); ++i) {
      const DesiredObject& d = *round[i];
      const std::size_t c = owner[i];
      stop[c] = stop[c] || written[i].result.action == Action::failed;
      if (record != nullptr && written[i].object && how.dry_run == kube::DryRun::no)
        record->objects[object_key(d.resource, d.namespace_, d.name)] = std::move(*written[i].object);
      results[c].push_back(std::move(written[i].result));
    }
  }
  return results;
}

}  // namespace meshctl::mesh
