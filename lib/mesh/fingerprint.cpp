#include "mesh/fingerprint.h"

#include <fmt/format.h>

#include <chrono>
#include <optional>

#include "calico/names.h"
#include "kube/exec_credential.h"
#include "kube/fields.h"
#include "util/outcome.h"

namespace meshctl::mesh {
namespace {

using kube::Json;

using kube::items;
using kube::object_at;
using kube::string_at;

struct ServedGroups {
  bool crd = false, v3 = false, migration = false;
  bool answered = true;  // false: the cluster did not answer discovery at all (not reached, timed out)
};

ServedGroups served_groups(kube::ClusterApi& client, calico::Flavour& f) {
  ServedGroups out;
  auto response = client.request("GET", "/apis");
  auto doc = response ? Json::parse(response->body, nullptr, false) : Json();
  if (!doc.is_object()) {
    f.unread.push_back(
        fmt::format("API discovery ({})", response ? "not JSON" : errc_name(response.error().code)));
    out.answered = response || outcome_of(response.error().code) != Outcome::unreachable;
    return out;
  }
  const auto groups_it = doc.find("groups");
  if (groups_it == doc.end() || !groups_it->is_array())
    return out;
  for (const auto& group : *groups_it) {
    auto name = string_at(group, "name");
    out.crd = out.crd || name == "crd.projectcalico.org";
    out.v3 = out.v3 || name == "projectcalico.org";
    out.migration = out.migration || name == "migration.projectcalico.org";
  }
  return out;
}

// Where this cluster keeps its Calico objects: crd.projectcalico.org/v1
// when served (API-server mode stores there), else the native v3 CRDs.
kube::Resource calico_resource(const ServedGroups& groups, const char* plural) {
  if (groups.crd)
    return {"crd.projectcalico.org", "v1", plural, false};
  return {std::string(calico::kRccGroup), "v3", plural, false};
}

bool past(const std::string& rfc3339) {
  auto when = kube::parse_rfc3339(rfc3339);
  return when && *when < std::chrono::system_clock::now();
}

// The reads after discovery, independent of each other, sent together as
// one read_all: each step names its read and what to make of the answer.
class Reads {
 public:
  Reads(const ServedGroups& served, calico::Flavour& f)
      : groups(served),
        f_(f),
        cluster_informations_(calico_resource(groups, "clusterinformations")),
        licence_keys_(calico_resource(groups, "licensekeys")),
        ip_pools_(calico_resource(groups, "ippools")),
        felix_configurations_(calico_resource(groups, "felixconfigurations")) {}

  ServedGroups groups;
  bool api_service_backed = false;
  std::optional<calico::OverlaySettings> felix_overlay;  // completed with the pools' VXLAN after the reads
  Result<Json> pool_list = Error(Errc::internal, "not read");
  std::optional<Result<Json>> own_v3_pools;  // listed when the API mode (still unknown) may keep them there
  bool service_address_needed = false;       // ServiceCIDRs are not served: read the kubernetes Service

  struct Step {
    kube::ReadItem read;
    void (Reads::*take)(Result<Json>);
  };

  std::vector<Step> steps(FlavourReads what, bool own_pools_wanted) const {
    static const kube::Resource api_services{"apiregistration.k8s.io", "v1", "apiservices", false};
    static const kube::Resource migrations{"migration.projectcalico.org", "v1", "datastoremigrations", false};
    std::vector<Step> out{
        {{&api_services, "", "v3.projectcalico.org", ""}, &Reads::api_service},
        {{&cluster_informations_, "", "default", ""}, &Reads::cluster_information},
        {{&licence_keys_, "", "default", ""}, &Reads::licence},
        {{&ip_pools_, "", "", ""}, &Reads::pools},
        {{&felix_configurations_, "", "default", ""}, &Reads::felix_configuration},
        {{&kube::resources::deployments, std::string(calico::kCalicoNamespace),
          "calico-typha-noncluster-host", ""},
         &Reads::noncluster_typha},
    };
    if (groups.migration)
      out.push_back({{&migrations, "", "", ""}, &Reads::migration});
    if (what == FlavourReads::with_data_plane) {
      out.push_back({{&kube::resources::nodes, "", "", "", /*metadata_only=*/true}, &Reads::nodes});
      out.push_back({{&kube::resources::service_cidrs, "", "", ""}, &Reads::service_cidrs});
    }
    // The API server mode keeps them in projectcalico.org/v3, the v1 CRD
    // mode in crd.projectcalico.org/v1: which one is known only after this round.
    if (own_pools_wanted && groups.crd && groups.v3)
      out.push_back({{&kube::resources::ip_pools, "", "", calico::managed_selector()}, &Reads::own_pools});
    return out;
  }

  void api_service(Result<Json> object) {
    if (object)
      api_service_backed = !string_at(object_at(object_at(*object, "spec"), "service"), "name").empty();
    else if (object.error().code != Errc::not_found)
      unread("APIService v3.projectcalico.org", object.error());
  }

  void cluster_information(Result<Json> object) {
    if (!object) {
      unread("ClusterInformation default", object.error());
      return;
    }
    f_.enterprise_version = string_at(object_at(*object, "spec"), "cnxVersion");
    f_.calico_version = string_at(object_at(*object, "spec"), "calicoVersion");
  }

  void licence(Result<Json> object) {
    if (!object) {
      if (object.error().code == Errc::not_found)
        f_.licence = calico::Licence::missing;
      else
        unread("LicenseKey default", object.error());
      return;
    }
    f_.licence_expiry = string_at(object_at(*object, "status"), "expiry");
    f_.licence = past(f_.licence_expiry) ? calico::Licence::expired : calico::Licence::ok;
  }

  void pools(Result<Json> list) {
    pool_list = std::move(list);
    if (!pool_list) {
      unread("IPPools", pool_list.error());
      return;
    }
    bool vxlan = false;
    std::vector<calico::Pool> enabled_pools;
    for (const auto& pool : items(*pool_list)) {
      // meshctl's stand-ins for a remote's CIDRs are not this cluster's pods,
      // even when someone enabled one by hand (status says so).
      if (kube::label_of(pool, calico::kRoleLabel) == calico::kRemotePoolRole &&
          kube::label_of(pool, calico::kManagedByLabel) == calico::kManagedByValue)
        continue;
      const auto& spec = object_at(pool, "spec");
      const auto disabled = spec.find("disabled");
      const bool enabled = disabled == spec.end() || !disabled->is_boolean() || !disabled->get<bool>();
      const std::string mode = string_at(spec, "vxlanMode");
      vxlan = vxlan || (enabled && !mode.empty() && mode != "Never");
      if (enabled && !string_at(spec, "cidr").empty()) {
        const auto block = spec.find("blockSize");
        enabled_pools.push_back({kube::metadata_string(pool, "name"), string_at(spec, "cidr"),
                                 block != spec.end() && block->is_number_integer() ? block->get<int>() : 0});
      }
    }
    f_.vxlan = vxlan;
    f_.data_plane.enabled_pools = std::move(enabled_pools);
  }

  void own_pools(Result<Json> list) { own_v3_pools = std::move(list); }

  void nodes(Result<Json> list) {
    if (!list) {
      unread("Nodes", list.error());
      return;
    }
    std::vector<std::string> names;
    for (const auto& node : items(*list)) {
      if (auto name = kube::metadata_string(node, "name"); !name.empty())
        names.push_back(name);
    }
    f_.data_plane.node_names = std::move(names);
  }

  // ServiceCIDRs where served (GA in Kubernetes 1.33); else the `kubernetes`
  // Service's address, the one address known to be in the range, read
  // after this round (kubernetes_service).
  void service_cidrs(Result<Json> list) {
    if (!list) {
      if (list.error().code == Errc::not_found)
        service_address_needed = true;
      else
        unread("ServiceCIDRs", list.error());
      return;
    }
    std::vector<calico::ServiceRange> ranges;
    for (const auto& item : items(*list)) {
      const auto& cidrs = object_at(item, "spec").value("cidrs", Json::array());
      for (const auto& cidr : cidrs.is_array() ? cidrs : Json::array()) {
        if (cidr.is_string())
          ranges.push_back({"ServiceCIDR " + kube::metadata_string(item, "name"), cidr.get<std::string>()});
      }
    }
    f_.data_plane.service_ranges = std::move(ranges);
  }

  void kubernetes_service(Result<Json> service) {
    if (!service) {
      unread("Service default/kubernetes", service.error());
      return;
    }
    std::vector<calico::ServiceRange> ranges;
    const std::string ip = string_at(object_at(*service, "spec"), "clusterIP");
    if (!ip.empty() && ip != "None")
      ranges.push_back(
          {"Service default/kubernetes", ip + (ip.find(':') == std::string::npos ? "/32" : "/128")});
    f_.data_plane.service_ranges = std::move(ranges);
  }

  void felix_configuration(Result<Json> object) {
    if (!object) {
      if (object.error().code == Errc::not_found) {
        f_.wireguard = false;
        felix_overlay = calico::OverlaySettings{};  // no FelixConfiguration: Felix's defaults
      } else {
        unread("FelixConfiguration default", object.error());
      }
      return;
    }
    const auto& spec = object_at(*object, "spec");
    auto on = [&](const char* key) {
      auto it = spec.find(key);
      return it != spec.end() && it->is_boolean() && it->get<bool>();
    };
    f_.wireguard = on("wireguardEnabled") || on("wireguardEnabledV6");
    // Felix's defaults where the field is unset, so unset and explicit agree.
    auto number = [&](const char* key, long long fallback) {
      auto it = spec.find(key);
      return it != spec.end() && it->is_number_integer() ? it->get<long long>() : fallback;
    };
    calico::OverlaySettings o;
    o.wireguard = *f_.wireguard;
    o.vxlan_port = number("vxlanPort", o.vxlan_port);
    o.vxlan_vni = number("vxlanVNI", o.vxlan_vni);
    o.wireguard_port = number("wireguardListeningPort", o.wireguard_port);
    if (auto source = string_at(spec, "routeSource"); !source.empty())
      o.route_source = source;
    felix_overlay = o;
  }

  void migration(Result<Json> list) {
    if (!list) {
      unread("DatastoreMigrations", list.error());
      return;
    }
    for (const auto& item : items(*list)) {
      f_.migration_name = string_at(object_at(item, "metadata"), "name");
      std::string phase = string_at(object_at(item, "status"), "phase");
      f_.migration_phase = phase.empty() ? "Pending" : phase;  // not yet picked up by the controller
    }
  }

  void noncluster_typha(Result<Json> object) {
    if (object)
      f_.noncluster_typha = true;
    else if (object.error().code != Errc::not_found)
      unread("Deployment calico-typha-noncluster-host", object.error());
  }

  const kube::Resource& ip_pools() const { return ip_pools_; }

 private:
  calico::Flavour& f_;
  // read_all's items point at these.
  kube::Resource cluster_informations_, licence_keys_, ip_pools_, felix_configurations_;

  void unread(const std::string& what, const Error& e) {
    f_.unread.push_back(fmt::format("{} ({})", what, errc_name(e.code)));  // -v logs the request itself
  }
};

bool same_resource(const kube::Resource& a, const kube::Resource& b) {
  return a.group == b.group && a.version == b.version && a.plural == b.plural;
}

OwnPools own_pools_from(kube::ClusterApi& client, Reads& reads, calico::ApiMode mode) {
  OwnPools out;
  const kube::Resource& resource = ip_pool_resource(mode);
  Result<Json> list = Error(Errc::internal, "not read");
  if (same_resource(resource, reads.ip_pools()))
    list = std::move(reads.pool_list);
  else if (reads.own_v3_pools)
    list = std::move(*reads.own_v3_pools);
  else
    list = client.list(resource, "", calico::managed_selector());
  if (!list) {
    out.unlisted = list.error().message;
    return out;
  }
  for (auto& pool : items(*list)) {
    if (kube::label_of(pool, calico::kManagedByLabel) == calico::kManagedByValue)
      out.items.push_back(std::move(pool));
  }
  return out;
}

}  // namespace

calico::Flavour read_flavour(kube::ClusterApi& client, FlavourReads what, OwnPools* own_pools) {
  calico::Flavour f;
  ServedGroups groups = served_groups(client, f);
  if (!groups.answered) {
    // Every other read would wait out the same timeout again, after this one:
    // the caller's own first request reports the cluster unreachable.
    if (own_pools != nullptr)
      own_pools->unlisted = "the cluster did not answer";
    return f;
  }
  Reads reads(groups, f);
  const auto steps = reads.steps(what, own_pools != nullptr);
  std::vector<kube::ReadItem> items;
  items.reserve(steps.size());
  for (const auto& step : steps)
    items.push_back(step.read);
  auto answers = client.read_all(items);
  for (std::size_t i = 0; i < steps.size(); ++i)
    (reads.*steps[i].take)(std::move(answers[i]));
  if (reads.service_address_needed)
    reads.kubernetes_service(client.get(kube::resources::services, "default", "kubernetes"));
  f.api_mode = calico::api_mode_from({groups.crd, groups.v3, reads.api_service_backed});
  if (reads.felix_overlay && f.vxlan) {
    f.data_plane.overlay = reads.felix_overlay;
    f.data_plane.overlay->vxlan = *f.vxlan;
  }
  if (own_pools != nullptr)
    *own_pools = own_pools_from(client, reads, f.api_mode);
  return f;
}

const kube::Resource& ip_pool_resource(calico::ApiMode mode) {
  return mode == calico::ApiMode::v1_crds ? kube::resources::crd_ip_pools : kube::resources::ip_pools;
}

std::string overlay_routing_for(const calico::Flavour& local, const FlavourRules& rules, std::string* note) {
  if (rules.overlay_routing_given)
    return rules.overlay_routing;
  if (auto derived = calico::derived_overlay_routing(local))
    return *derived;
  if (note != nullptr)
    *note = "could not read the IPPools or FelixConfiguration to derive overlayRoutingMode; writing Enabled";
  return "Enabled";
}

std::vector<ClusterProblem> flavour_problems(const std::vector<FlavouredCluster>& clusters,
                                             const FlavourRules& rules) {
  std::vector<ClusterProblem> out;
  auto refuse = [&](const std::string& cluster, std::string message, std::string hint) {
    out.push_back({cluster, Errc::precondition, std::move(message), std::move(hint)});
  };
  for (const auto& c : clusters) {
    const calico::Flavour& f = *c.flavour;
    if (f.licence == calico::Licence::missing) {
      refuse(c.name,
             c.name +
                 ": no Calico Enterprise licence (LicenseKey default is missing), so the API "
                 "refuses RemoteClusterConfigurations",
             "apply a LicenseKey that includes federated-services in " + c.name + ", then re-run");
    } else if (f.licence == calico::Licence::expired) {
      refuse(c.name,
             c.name + ": the Calico Enterprise licence expired (" + f.licence_expiry +
                 "); Calico resources are read-only",
             "apply a renewed LicenseKey in " + c.name + ", then re-run");
    }
    if (calico::migration_in_progress(f) && !rules.force) {
      refuse(c.name,
             fmt::format("{}: DatastoreMigration {} is in phase {}: Calico objects are moving to the "
                         "native v3 CRDs",
                         c.name, f.migration_name, *f.migration_phase),
             "wait until it reaches Complete, or re-run with --force to join during the migration");
    }
    const std::string routing = overlay_routing_for(f, rules, nullptr);
    if (rules.overlay_routing_given && routing == "Enabled" && f.vxlan == false && f.wireguard == false) {
      refuse(c.name,
             c.name + ": --overlay-routing Enabled, but " + c.name +
                 " has no enabled VXLAN IPPool and WireGuard is off, so there is no overlay to route over",
             "enable VXLAN or WireGuard in " + c.name +
                 ", or use --overlay-routing Disabled where the network routes pod addresses");
    }
    if (routing != "Enabled" || !calico::reads_v1_only(f))
      continue;
    for (const auto& remote : clusters) {
      if (remote.name == c.name || remote.flavour->api_mode != calico::ApiMode::native_v3)
        continue;
      refuse(c.name,
             fmt::format(
                 "{} <- {}: {} runs Enterprise {}, whose Typha reads IP pools and blocks in "
                 "crd.projectcalico.org, a group {} (native v3 CRDs) does not serve: the link would report "
                 "in sync without routes",
                 c.name, remote.name, c.name, f.enterprise_version, remote.name),
             "upgrade " + c.name + " to Enterprise 3.23 or later, or use --overlay-routing Disabled");
    }
  }
  return out;
}

}  // namespace meshctl::mesh
