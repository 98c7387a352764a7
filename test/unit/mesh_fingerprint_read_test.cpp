// read_flavour against the in-process TLS server (not a cluster: the lab's
// four Calico shapes are read for real in e2e 26). Here: answers a real API
// server may give that the lab does not, such as a LicenseKey not yet
// reconciled (no status), null fields, a forbidden read.
#include <doctest/doctest.h>

#include "mesh/fingerprint.h"
#include "test_https_server.h"

using meshctl::calico::ApiMode;
using meshctl::calico::Licence;
using meshctl::kube::Json;
using meshctl::test::TestHttpsServer;
using meshctl::test::TestRequest;
using meshctl::test::TestResponse;

namespace {

const meshctl::test::TestCa& ca() {
  static const meshctl::test::TestCa instance("meshctl-fingerprint-test-ca");
  return instance;
}

TestResponse answer(int status, const Json& body) {
  TestResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

TestResponse not_found() {
  return answer(404, {{"kind", "Status"}, {"status", "Failure"}, {"reason", "NotFound"}, {"code", 404}});
}

std::unique_ptr<meshctl::kube::Client> client_for(const TestHttpsServer& server) {
  meshctl::kube::ResolvedContext context;
  context.context_name = "iad";
  context.cluster.server = server.url();
  context.cluster.ca_pem = ca().cert_pem();
  context.user.kind = meshctl::kube::AuthKind::token;
  context.user.token = meshctl::Secret("test-token-fingerprint");
  meshctl::kube::ClientOptions options;
  options.max_retries = 0;
  auto client = meshctl::kube::Client::create(context, options);
  REQUIRE(client.has_value());
  return std::move(*client);
}

}  // namespace

TEST_CASE("read_flavour: odd but legal answers read as unknown or default, never as a crash") {
  static const auto identity = ca().issue_server({"localhost"}, {"127.0.0.1"});
  TestHttpsServer server(identity, [](const TestRequest& request) {
    const std::string& path = request.target;
    if (path == "/apis")
      return answer(200, {{"groups",
                           {{{"name", "crd.projectcalico.org"}},
                            {{"name", "projectcalico.org"}},
                            {{"name", "migration.projectcalico.org"}},
                            {{"name", nullptr}}}}});
    if (path.rfind("/apis/apiregistration.k8s.io/v1/apiservices/", 0) == 0)
      return answer(200, {{"spec", {{"service", nullptr}, {"group", "projectcalico.org"}}}});
    if (path.rfind("/apis/crd.projectcalico.org/v1/clusterinformations/default", 0) == 0)
      return answer(200, {{"spec", {{"cnxVersion", "v3.23.2"}, {"calicoVersion", nullptr}}}});
    if (path.rfind("/apis/crd.projectcalico.org/v1/licensekeys/default", 0) == 0)
      return answer(200, {{"spec", {{"token", "x"}}}});  // not yet reconciled: no status
    if (path.rfind("/apis/crd.projectcalico.org/v1/ippools", 0) == 0)
      return answer(200, {{"items",
                           {{{"spec", {{"vxlanMode", "CrossSubnet"}, {"disabled", nullptr}}}},
                            {{"metadata", {{"name", "no-spec"}}}}}}});
    if (path.rfind("/apis/crd.projectcalico.org/v1/felixconfigurations/default", 0) == 0)
      return answer(403, {{"kind", "Status"}, {"reason", "Forbidden"}, {"code", 403}});
    if (path.rfind("/apis/migration.projectcalico.org/v1/datastoremigrations", 0) == 0)
      return answer(200, {{"items", {{{"metadata", {{"name", "v3-migration"}}}, {"status", nullptr}}}}});
    if (path.rfind("/api/v1/nodes", 0) == 0)
      return answer(200, {{"items", {{{"metadata", {{"name", "iad-node-1"}}}}, Json::object()}}});
    if (path.rfind("/apis/networking.k8s.io/v1/servicecidrs", 0) == 0)  // as kube-apiserver 1.33 makes it
      return answer(200, {{"items",
                           {{{"metadata", {{"name", "kubernetes"}}},
                             {"spec", {{"cidrs", {"10.96.0.0/16", "fd00:10:96::/112"}}}}},
                            {{"metadata", {{"name", "no-spec"}}}}}}});
    return not_found();
  });
  auto client = client_for(server);
  auto f = meshctl::mesh::read_flavour(*client, meshctl::mesh::FlavourReads::with_data_plane);
  REQUIRE(f.data_plane.node_names.has_value());
  CHECK(*f.data_plane.node_names == std::vector<std::string>{"iad-node-1"});  // a nameless item is skipped
  REQUIRE(f.data_plane.enabled_pools.has_value());
  CHECK(f.data_plane.enabled_pools->empty());     // neither pool has a cidr to judge
  CHECK_FALSE(f.data_plane.overlay.has_value());  // FelixConfiguration forbidden
  REQUIRE(f.data_plane.service_ranges.has_value());
  REQUIRE(f.data_plane.service_ranges->size() == 2);  // both families of one ServiceCIDR; none from no-spec
  CHECK((*f.data_plane.service_ranges)[1].source == "ServiceCIDR kubernetes");
  CHECK((*f.data_plane.service_ranges)[1].cidr == "fd00:10:96::/112");
  // status asks for the Calico kind only: no Nodes list (the server above would answer it).
  auto kind_only = meshctl::mesh::read_flavour(*client, meshctl::mesh::FlavourReads::calico_kind);
  CHECK_FALSE(kind_only.data_plane.node_names.has_value());
  CHECK_FALSE(kind_only.data_plane.service_ranges.has_value());
  CHECK(kind_only.enterprise_version == "v3.23.2");
  CHECK(f.api_mode == ApiMode::v1_crds);  // the APIService names no service
  CHECK(f.enterprise_version == "v3.23.2");
  CHECK(f.calico_version.empty());
  CHECK(f.licence == Licence::ok);  // present; no expiry known yet
  CHECK(f.licence_expiry.empty());
  CHECK(f.vxlan == true);                // CrossSubnet is VXLAN; disabled: null is not disabled
  CHECK_FALSE(f.wireguard.has_value());  // forbidden: unknown, not false
  REQUIRE(f.migration_phase.has_value());
  CHECK(*f.migration_phase == "Pending");  // not yet picked up
  CHECK(f.migration_name == "v3-migration");
  CHECK_FALSE(f.noncluster_typha);
  REQUIRE(f.unread.size() == 1);
  CHECK(f.unread[0].find("FelixConfiguration default (Forbidden)") == 0);
}

TEST_CASE(
    "read_flavour: where ServiceCIDRs are not served, the kubernetes Service's address stands for the "
    "range") {
  static const auto identity = ca().issue_server({"localhost"}, {"127.0.0.1"});
  TestHttpsServer server(identity, [](const TestRequest& request) {
    const std::string& path = request.target;
    if (path == "/apis")
      return answer(200, {{"groups", {{{"name", "projectcalico.org"}}}}});
    if (path.rfind("/api/v1/namespaces/default/services/kubernetes", 0) == 0)
      return answer(200, {{"metadata", {{"name", "kubernetes"}, {"namespace", "default"}}},
                          {"spec", {{"clusterIP", "10.100.0.1"}, {"ports", Json::array()}}}});
    return not_found();  // Kubernetes before 1.33 (the beta API off): no servicecidrs
  });
  auto client = client_for(server);
  auto f = meshctl::mesh::read_flavour(*client, meshctl::mesh::FlavourReads::with_data_plane);
  REQUIRE(f.data_plane.service_ranges.has_value());
  REQUIRE(f.data_plane.service_ranges->size() == 1);
  CHECK(f.data_plane.service_ranges->front().source == "Service default/kubernetes");
  CHECK(f.data_plane.service_ranges->front().cidr == "10.100.0.1/32");
}

TEST_CASE("read_flavour: the reads after discovery are at the server together, one round trip") {
  // Discovery names the v1 CRD group only: six reads follow (APIService,
  // ClusterInformation, LicenseKey, IPPools, FelixConfiguration, the
  // non-cluster-host Typha). The server answers none until all six are there.
  meshctl::test::Gathering reads(6);
  static const auto identity = ca().issue_server({"localhost"}, {"127.0.0.1"});
  TestHttpsServer server(identity, [&](const TestRequest& request) {
    if (request.target == "/apis")
      return answer(200, {{"groups", {{{"name", "crd.projectcalico.org"}}}}});
    reads.arrive();
    if (request.target.rfind("/apis/crd.projectcalico.org/v1/licensekeys/default", 0) == 0 ||
        request.target.rfind("/apis/crd.projectcalico.org/v1/clusterinformations/default", 0) == 0)
      return answer(403, {{"kind", "Status"}, {"reason", "Forbidden"}, {"code", 403}});
    if (request.target.rfind("/apis/crd.projectcalico.org/v1/ippools", 0) == 0)
      return answer(200, {{"items", Json::array()}});
    return not_found();
  });
  auto client = client_for(server);
  auto f = meshctl::mesh::read_flavour(*client, meshctl::mesh::FlavourReads::calico_kind);
  CHECK(reads.met());
  // Unread facts are named in the order of the reads, whatever order the answers came in.
  REQUIRE(f.unread.size() == 2);
  CHECK(f.unread[0].find("ClusterInformation default (Forbidden)") == 0);
  CHECK(f.unread[1].find("LicenseKey default (Forbidden)") == 0);
  CHECK(f.licence == Licence::unknown);
}
