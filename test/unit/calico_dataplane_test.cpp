// The data-plane judgements from made-up facts (e2e 14 provokes each one on
// the lab with kubectl).
#include <doctest/doctest.h>

#include "calico/dataplane.h"

using meshctl::calico::cidrs_overlap;
using meshctl::calico::DataPlane;
using meshctl::calico::DataPlaneMember;
using meshctl::calico::OverlaySettings;

namespace {

DataPlane plane(std::vector<meshctl::calico::Pool> pools, std::vector<std::string> nodes) {
  DataPlane d;
  d.enabled_pools = std::move(pools);
  d.node_names = std::move(nodes);
  OverlaySettings o;
  o.vxlan = true;
  d.overlay = o;
  return d;
}

std::vector<std::string> checks_of(const std::vector<meshctl::calico::DataPlaneProblem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems)
    out.push_back(p.check);
  return out;
}

}  // namespace

TEST_CASE("CIDR overlap: containment either way, disjoint neighbours, families, junk") {
  CHECK(cidrs_overlap("10.10.0.0/16", "10.10.128.0/17"));
  CHECK(cidrs_overlap("10.10.128.0/17", "10.10.0.0/16"));
  CHECK(cidrs_overlap("10.0.0.0/8", "10.255.255.255/32"));
  CHECK_FALSE(cidrs_overlap("10.10.0.0/16", "10.11.0.0/16"));
  CHECK_FALSE(cidrs_overlap("192.168.0.0/24", "192.168.1.0/24"));
  CHECK(cidrs_overlap("fd00:10::/64", "fd00:10::/48"));
  CHECK_FALSE(cidrs_overlap("fd00:10::/64", "fd00:11::/64"));
  CHECK_FALSE(cidrs_overlap("10.10.0.0/16", "fd00::/8"));
  CHECK_FALSE(cidrs_overlap("10.10.0.0", "10.10.0.0/16"));
  CHECK_FALSE(cidrs_overlap("10.10.0.0/33", "10.10.0.0/16"));
  CHECK_FALSE(cidrs_overlap("10.10.0.0/1x", "10.10.0.0/16"));
}

TEST_CASE("distinct pools, nodes and equal overlays: no problem") {
  auto iad = plane({{"default-ipv4-ippool", "10.10.0.0/16"}}, {"iad-node-1"});
  auto pdx = plane({{"default-ipv4-ippool", "10.11.0.0/16"}}, {"pdx-node-1"});
  CHECK(meshctl::calico::data_plane_problems({{"iad", &iad}, {"pdx", &pdx}}, {}).empty());
}

TEST_CASE("each finding is one problem naming both clusters and both objects, with its skip") {
  auto iad = plane({{"default-ipv4-ippool", "10.10.0.0/16"}}, {"ip-10-0-1-5.ec2.internal", "iad-2"});
  auto fra = plane({{"extra", "10.10.128.0/17"}}, {"ip-10-0-1-5.ec2.internal"});
  fra.overlay->vxlan_port = 4790;
  auto problems = meshctl::calico::data_plane_problems({{"iad", &iad}, {"fra", &fra}}, {});
  REQUIRE(checks_of(problems) == std::vector<std::string>{"pool-overlap", "node-names", "overlay"});
  CHECK(problems[0].message ==
        "iad and fra: IPPool default-ipv4-ippool (10.10.0.0/16) in iad overlaps IPPool extra "
        "(10.10.128.0/17) in "
        "fra: a pod address would belong to both clusters and routes to one would go to the other");
  CHECK(problems[0].hint.find("--skip-check pool-overlap") != std::string::npos);
  CHECK(problems[1].message.find("node ip-10-0-1-5.ec2.internal is in both clusters") != std::string::npos);
  CHECK(problems[2].message ==
        "iad and fra: vxlanPort is 4789 in iad and 4790 in fra, so the tunnels between "
        "their nodes cannot form");
  CHECK(checks_of(meshctl::calico::data_plane_problems({{"iad", &iad}, {"fra", &fra}},
                                                       {"pool-overlap", "node-names", "overlay"}))
            .empty());
}

TEST_CASE("overlay: WireGuard on one side, VNI and port only where both use them, routeSource") {
  auto a = plane({}, {});
  auto b = plane({}, {});
  b.overlay->wireguard = true;
  b.overlay->vxlan_vni = 5000;
  auto problems = meshctl::calico::data_plane_problems({{"a", &a}, {"b", &b}}, {});
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].message.find("WireGuard is off in a and on in b") != std::string::npos);
  CHECK(problems[1].message.find("vxlanVNI is 4096 in a and 5000 in b") != std::string::npos);
  a.overlay->vxlan = false;  // no VXLAN pool in a: its VXLAN settings do not matter
  a.overlay->wireguard = true;
  b.overlay->route_source = "WorkloadIPs";
  problems = meshctl::calico::data_plane_problems({{"a", &a}, {"b", &b}}, {});
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].message.find("routeSource is CalicoIPAM in a and WorkloadIPs in b") != std::string::npos);
}

TEST_CASE("facts a cluster did not let meshctl read are not judged") {
  auto iad = plane({{"p", "10.10.0.0/16"}}, {"n"});
  DataPlane unread;
  CHECK(meshctl::calico::data_plane_problems({{"iad", &iad}, {"pdx", &unread}}, {}).empty());
}

TEST_CASE(
    "service ranges: ServiceCIDRs that overlap, a kubernetes Service address inside the other's range") {
  using meshctl::calico::ServiceRange;
  auto iad = plane({}, {});
  auto pdx = plane({}, {});
  auto old = plane({}, {});
  iad.service_ranges = std::vector<ServiceRange>{{"ServiceCIDR kubernetes", "10.96.0.0/16"}};
  pdx.service_ranges = std::vector<ServiceRange>{{"ServiceCIDR kubernetes", "10.97.0.0/16"},
                                                 {"ServiceCIDR extra", "10.96.128.0/20"}};
  old.service_ranges = std::vector<ServiceRange>{{"Service default/kubernetes", "10.96.0.1/32"}};
  auto problems = meshctl::calico::data_plane_problems({{"iad", &iad}, {"pdx", &pdx}, {"old", &old}}, {});
  REQUIRE(checks_of(problems) == std::vector<std::string>{"service-overlap", "service-overlap"});
  CHECK(problems[0].message.find("iad and pdx: ServiceCIDR kubernetes (10.96.0.0/16) in iad overlaps "
                                 "ServiceCIDR extra (10.96.128.0/20) in pdx") == 0);
  CHECK(problems[0].hint.find("--skip-check service-overlap") != std::string::npos);
  CHECK(problems[1].message.find("iad and old: ServiceCIDR kubernetes (10.96.0.0/16) in iad overlaps "
                                 "Service default/kubernetes (10.96.0.1/32) in old") == 0);
  CHECK(meshctl::calico::data_plane_problems({{"iad", &iad}, {"pdx", &pdx}}, {"service-overlap"}).empty());
}
