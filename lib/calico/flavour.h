// What kind of Calico a cluster runs, as far as the mesh depends on it: how
// projectcalico.org/v3 is served, the Enterprise version, a datastore
// migration, the licence and the overlay. Facts in, judgements out; reading
// them from a cluster is mesh/fingerprint's job.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "calico/dataplane.h"

namespace meshctl::calico {

enum class ApiMode {
  api_server,  // APIService v3.projectcalico.org backed by the Calico API server (3.21-3.23)
  native_v3,   // projectcalico.org/v3 CRDs, no crd.projectcalico.org group (3.24 default)
  v1_crds,     // both groups served, no Calico API server: readers use crd.projectcalico.org/v1
  not_served,  // no projectcalico.org group: no RemoteClusterConfiguration API
};
const char* api_mode_name(ApiMode mode);

enum class Licence { ok, missing, expired, unknown };
const char* licence_name(Licence licence);

struct Flavour {
  ApiMode api_mode = ApiMode::not_served;
  std::string enterprise_version;              // ClusterInformation cnxVersion ("v3.22.1"); empty when unread
  std::string calico_version;                  // ClusterInformation calicoVersion (the OSS base)
  std::optional<std::string> migration_phase;  // a DatastoreMigration's status.phase
  std::string migration_name;
  Licence licence = Licence::unknown;
  std::string licence_expiry;       // LicenseKey status.expiry, RFC 3339
  std::optional<bool> vxlan;        // an enabled IPPool with vxlanMode other than Never
  std::optional<bool> wireguard;    // FelixConfiguration default: wireguardEnabled or wireguardEnabledV6
  bool noncluster_typha = false;    // a calico-typha-noncluster-host Deployment dials remotes too
  DataPlane data_plane;             // pools, node names, overlay settings (calico/dataplane.h)
  std::vector<std::string> unread;  // what could not be read (forbidden, ...), one phrase each
};

// What discovery and the APIService v3.projectcalico.org say.
struct ServedApis {
  bool crd_group = false;           // crd.projectcalico.org/v1 is served
  bool v3_group = false;            // projectcalico.org/v3 is served
  bool api_service_backed = false;  // the APIService names a service (the Calico API server)
};
// The mode as Calico documents it.
ApiMode api_mode_from(const ServedApis& served);

// "v3.22.1", "3.22", "v3.23.0-1.0" -> {3, 22}; nullopt when not a version.
std::optional<std::pair<int, int>> minor_version(const std::string& text);

// Enterprise up to 3.22 reads a remote's Calico resources in
// crd.projectcalico.org/v1 whatever the remote serves. Unknown versions are
// not assumed old.
bool reads_v1_only(const Flavour& reader);

// A DatastoreMigration exists and has not reached Complete.
bool migration_in_progress(const Flavour& f);

// The overlayRoutingMode the Calico API server would default an RCC to in
// this cluster: Enabled with VXLAN or WireGuard, else Disabled; nullopt when
// the pools or the FelixConfiguration could not be read.
std::optional<std::string> derived_overlay_routing(const Flavour& f);

// "3.24 native-v3", "3.22 api-server, migrating (Migrating)", ...: one short
// phrase for tables and progress lines.
std::string describe(const Flavour& f);

}  // namespace meshctl::calico
