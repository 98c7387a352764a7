// What the data plane of a mesh needs across its clusters before a link can
// carry traffic (calico-mesh.md, "Requirements of the data plane"): pod and
// service CIDRs that do not overlap, node names unique across clusters, and
// the same overlay settings on both ends. Facts in, one problem per finding out;
// reading the facts is mesh/fingerprint's job.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace meshctl::calico {

struct Pool {
  std::string name, cidr;
  int block_size = 0;  // spec.blockSize; 0 when unset (Calico's default applies)
};

// A range a cluster gives Service cluster IPs from: a ServiceCIDR object
// (networking.k8s.io/v1), or, where that API is not served, only the
// `kubernetes` Service's own address (a /32 or /128: the one address known
// to be inside the range).
struct ServiceRange {
  std::string source;  // "ServiceCIDR kubernetes", "Service default/kubernetes"
  std::string cidr;
};

// Felix settings the two ends of a tunnel must agree on, as set in the
// FelixConfiguration default (unset: Felix's defaults, filled in by the reader).
struct OverlaySettings {
  bool vxlan = false;  // an enabled IPPool uses VXLAN
  bool wireguard = false;
  long long vxlan_port = 4789;
  long long vxlan_vni = 4096;
  long long wireguard_port = 51820;
  std::string route_source = "CalicoIPAM";
};

struct DataPlane {
  std::optional<std::vector<Pool>> enabled_pools;           // nullopt: not read
  std::optional<std::vector<std::string>> node_names;       // nullopt: not read
  std::optional<OverlaySettings> overlay;                   // nullopt: not read
  std::optional<std::vector<ServiceRange>> service_ranges;  // nullopt: not read
};

struct DataPlaneMember {
  std::string name;  // mesh name
  const DataPlane* facts;
};

// The checks `--skip-check NAME` can skip.
inline constexpr const char* kCheckPoolOverlap = "pool-overlap";
inline constexpr const char* kCheckServiceOverlap = "service-overlap";
inline constexpr const char* kCheckNodeNames = "node-names";
inline constexpr const char* kCheckOverlay = "overlay";
const std::vector<std::string>& data_plane_checks();

struct DataPlaneProblem {
  std::string cluster;  // the first of the two clusters named
  std::string check;    // one of data_plane_checks()
  std::string message;  // both clusters, both objects, the consequence
  std::string hint;     // the fix, and how to skip the check
};

// Every pair of clusters, each check not in `skipped`. Facts a cluster did
// not let meshctl read are not judged (the fingerprint names them unread).
std::vector<DataPlaneProblem> data_plane_problems(const std::vector<DataPlaneMember>& members,
                                                  const std::set<std::string>& skipped);

// Whether two CIDRs ("10.10.0.0/16", "fd00::/64") share an address; false
// for different families or text that is not a CIDR.
bool cidrs_overlap(const std::string& a, const std::string& b);

}  // namespace meshctl::calico
