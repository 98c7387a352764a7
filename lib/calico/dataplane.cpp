#include "calico/dataplane.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <array>
#include <cstdint>

namespace meshctl::calico {
namespace {

struct Cidr {
  int family = 0;
  std::array<std::uint8_t, 16> address{};
  int prefix = 0;
};

std::optional<Cidr> parse_cidr(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos)
    return std::nullopt;
  Cidr out;
  const std::string host = text.substr(0, slash);
  out.family = host.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (inet_pton(out.family, host.c_str(), out.address.data()) != 1)
    return std::nullopt;
  try {
    size_t used = 0;
    out.prefix = std::stoi(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1)
      return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const int bits = out.family == AF_INET ? 32 : 128;
  if (out.prefix < 0 || out.prefix > bits)
    return std::nullopt;
  return out;
}

bool same_prefix(const Cidr& a, const Cidr& b, int bits) {
  for (int i = 0; i < bits; ++i) {
    const auto byte = static_cast<size_t>(i / 8);
    const int mask = 0x80 >> (i % 8);
    if ((a.address[byte] & mask) != (b.address[byte] & mask))
      return false;
  }
  return true;
}

void pool_overlaps(const DataPlaneMember& a, const DataPlaneMember& b, std::vector<DataPlaneProblem>& out) {
  if (!a.facts->enabled_pools || !b.facts->enabled_pools)
    return;
  for (const auto& pa : *a.facts->enabled_pools) {
    for (const auto& pb : *b.facts->enabled_pools) {
      if (!cidrs_overlap(pa.cidr, pb.cidr))
        continue;
      out.push_back(
          {a.name, kCheckPoolOverlap,
           fmt::format("{} and {}: IPPool {} ({}) in {} overlaps IPPool {} ({}) in {}: a pod address "
                       "would belong to both clusters and routes to one would go to the other",
                       a.name, b.name, pa.name, pa.cidr, a.name, pb.name, pb.cidr, b.name),
           fmt::format("give each cluster its own pod CIDR (a new IPPool, then migrate), or "
                       "--skip-check {}",
                       kCheckPoolOverlap)});
    }
  }
}

void service_overlaps(const DataPlaneMember& a, const DataPlaneMember& b,
                      std::vector<DataPlaneProblem>& out) {
  if (!a.facts->service_ranges || !b.facts->service_ranges)
    return;
  for (const auto& ra : *a.facts->service_ranges) {
    for (const auto& rb : *b.facts->service_ranges) {
      if (!cidrs_overlap(ra.cidr, rb.cidr))
        continue;
      out.push_back(
          {a.name, kCheckServiceOverlap,
           fmt::format("{} and {}: {} ({}) in {} overlaps {} ({}) in {}: a Service address would name "
                       "a Service in each cluster, so traffic meant for one could reach the other",
                       a.name, b.name, ra.source, ra.cidr, a.name, rb.source, rb.cidr, b.name),
           fmt::format("give each cluster its own service CIDR (a new ServiceCIDR, then move the "
                       "Services), or --skip-check {}",
                       kCheckServiceOverlap)});
    }
  }
}

void node_collisions(const DataPlaneMember& a, const DataPlaneMember& b, std::vector<DataPlaneProblem>& out) {
  if (!a.facts->node_names || !b.facts->node_names)
    return;
  std::set<std::string> theirs(b.facts->node_names->begin(), b.facts->node_names->end());
  std::vector<std::string> both;
  for (const auto& n : *a.facts->node_names) {
    if (theirs.count(n))
      both.push_back(n);
  }
  if (both.empty())
    return;
  out.push_back(
      {a.name, kCheckNodeNames,
       fmt::format("{} and {}: node {} is in both clusters{}: Calico knows remote nodes by name, so "
                   "one cluster's node would hide the other's routes",
                   a.name, b.name, both.front(),
                   both.size() > 1 ? fmt::format(" (and {} more)", both.size() - 1) : ""),
       fmt::format("give the nodes distinct names (on EKS, clusters in one region with overlapping "
                   "VPC CIDRs get the same hostnames), or --skip-check {}",
                   kCheckNodeNames)});
}

void overlay_mismatch(const DataPlaneMember& a, const DataPlaneMember& b,
                      std::vector<DataPlaneProblem>& out) {
  if (!a.facts->overlay || !b.facts->overlay)
    return;
  const OverlaySettings& x = *a.facts->overlay;
  const OverlaySettings& y = *b.facts->overlay;
  auto refuse = [&](const std::string& what) {
    out.push_back(
        {a.name, kCheckOverlay,
         fmt::format("{} and {}: {}, so the tunnels between their nodes cannot form", a.name, b.name, what),
         fmt::format("set the same in FelixConfiguration default of both clusters, or --skip-check {}",
                     kCheckOverlay)});
  };
  if (x.wireguard != y.wireguard) {
    refuse(fmt::format("WireGuard is {} in {} and {} in {}", x.wireguard ? "on" : "off", a.name,
                       y.wireguard ? "on" : "off", b.name));
  }
  if (x.vxlan && y.vxlan && x.vxlan_port != y.vxlan_port)
    refuse(fmt::format("vxlanPort is {} in {} and {} in {}", x.vxlan_port, a.name, y.vxlan_port, b.name));
  if (x.vxlan && y.vxlan && x.vxlan_vni != y.vxlan_vni)
    refuse(fmt::format("vxlanVNI is {} in {} and {} in {}", x.vxlan_vni, a.name, y.vxlan_vni, b.name));
  if (x.wireguard && y.wireguard && x.wireguard_port != y.wireguard_port) {
    refuse(fmt::format("wireguardListeningPort is {} in {} and {} in {}", x.wireguard_port, a.name,
                       y.wireguard_port, b.name));
  }
  if (x.route_source != y.route_source) {
    refuse(
        fmt::format("routeSource is {} in {} and {} in {}", x.route_source, a.name, y.route_source, b.name));
  }
}

}  // namespace

const std::vector<std::string>& data_plane_checks() {
  static const std::vector<std::string> checks{kCheckPoolOverlap, kCheckServiceOverlap, kCheckNodeNames,
                                               kCheckOverlay};
  return checks;
}

bool cidrs_overlap(const std::string& a, const std::string& b) {
  auto x = parse_cidr(a);
  auto y = parse_cidr(b);
  if (!x || !y || x->family != y->family)
    return false;
  return same_prefix(*x, *y, std::min(x->prefix, y->prefix));
}

std::vector<DataPlaneProblem> data_plane_problems(const std::vector<DataPlaneMember>& members,
                                                  const std::set<std::string>& skipped) {
  std::vector<DataPlaneProblem> out;
  for (size_t i = 0; i < members.size(); ++i) {
    for (size_t j = i + 1; j < members.size(); ++j) {
      if (!skipped.count(kCheckPoolOverlap))
        pool_overlaps(members[i], members[j], out);
      if (!skipped.count(kCheckServiceOverlap))
        service_overlaps(members[i], members[j], out);
      if (!skipped.count(kCheckNodeNames))
        node_collisions(members[i], members[j], out);
      if (!skipped.count(kCheckOverlay))
        overlay_mismatch(members[i], members[j], out);
    }
  }
  return out;
}

}  // namespace meshctl::calico
