// preflight's refusals on in-memory clusters: each names the cluster, the
// cause and the fix, and nothing is written before them.
#include <doctest/doctest.h>

#include "calico/names.h"
#include "fake_cluster.h"
#include "mesh/preflight.h"

using namespace meshctl;
using kube::Json;
using test::FakeCluster;
using test::object_named;
namespace r = kube::resources;

namespace {

FakeCluster* add_cluster(std::vector<mesh::Cluster>& clusters, const std::string& name,
                         FakeCluster::Calico calico = FakeCluster::Calico::api_server) {
  auto fake = std::make_unique<FakeCluster>(calico);
  for (const char* ns : {"calico-system", "kube-system", "default"})
    fake->put(r::namespaces, object_named("", ns));
  if (calico != FakeCluster::Calico::none) {
    const kube::Resource information{"crd.projectcalico.org", "v1", "clusterinformations", false};
    const kube::Resource licences{"crd.projectcalico.org", "v1", "licensekeys", false};
    const auto in_group = [&](kube::Resource res) {
      if (calico == FakeCluster::Calico::native_v3) {
        res.group = "projectcalico.org";
        res.version = "v3";
      }
      return res;
    };
    Json info = object_named("", "default");
    info["spec"] = {{"cnxVersion", "v3.21.2"}, {"calicoVersion", "v3.30.3"}};
    fake->put(in_group(information), info);
    Json licence = object_named("", "default");
    licence["status"] = {{"expiry", "2099-01-01T00:00:00Z"}, {"features", {"cnx", "all"}}};
    fake->put(in_group(licences), licence);
  }
  FakeCluster* raw = fake.get();
  clusters.push_back(mesh::Cluster{{name, name}, {}, std::move(fake)});
  return raw;
}

mesh::PreflightReport preflight(std::vector<mesh::Cluster>& clusters) {
  mesh::JoinOptions options;
  for (const auto& c : clusters)
    options.members.push_back(c.member);
  options.lab = true;
  return mesh::run_preflight(clusters, options);
}

std::string lines(const mesh::PreflightReport& report) {
  std::string out;
  for (const auto& p : report.problems)
    out += p.cluster + " [" + errc_name(p.code) + "] " + p.message + " (hint: " + p.hint + ")\n";
  return out;
}

}  // namespace

void no_writes(const std::vector<FakeCluster*>& fakes) {
  for (const auto* fake : fakes)
    CHECK(fake->writes().empty());
}

TEST_CASE("two healthy clusters pass, with the API server or with the native v3 CRDs") {
  std::vector<mesh::Cluster> clusters;
  auto* iad = add_cluster(clusters, "iad", FakeCluster::Calico::native_v3);
  auto* pdx = add_cluster(clusters, "pdx");
  auto report = preflight(clusters);
  CHECK(lines(report) == "");
  CHECK(report.warnings.empty());
  REQUIRE(report.facts.size() == 2);
  CHECK(report.facts[0].federation_namespace == "calico-system");
  no_writes({iad, pdx});
}

TEST_CASE("a cluster without Calico's API is refused by name; nothing is written anywhere") {
  std::vector<mesh::Cluster> clusters;
  auto* iad = add_cluster(clusters, "iad");
  auto* pdx = add_cluster(clusters, "pdx", FakeCluster::Calico::none);
  auto report = preflight(clusters);
  REQUIRE_FALSE(report.problems.empty());
  for (const auto& p : report.problems) {
    CHECK(p.cluster == "pdx");
    CHECK(p.code == Errc::precondition);
    CHECK_FALSE(p.hint.empty());
  }
  CHECK(report.problems.front().message ==
        "pdx: the RemoteClusterConfiguration API (projectcalico.org/v3) is not served");
  CHECK(mesh::preflight_outcome(report.problems) == Outcome::precondition);
  no_writes({iad, pdx});
}

TEST_CASE("a missing permission is named, with the command that lists them all") {
  std::vector<mesh::Cluster> clusters;
  auto* iad = add_cluster(clusters, "iad");
  auto* pdx = add_cluster(clusters, "pdx");
  pdx->deny("create", "", "secrets");
  auto report = preflight(clusters);
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].code == Errc::forbidden);
  CHECK(report.problems[0].message == "pdx: not allowed to create secrets in namespace calico-system");
  CHECK(report.problems[0].hint.find("--print-required-permissions") != std::string::npos);
  no_writes({iad, pdx});
}

TEST_CASE("a missing namespace is one line, also when it is both the federation and the secret namespace") {
  std::vector<mesh::Cluster> clusters;
  add_cluster(clusters, "iad");
  auto* pdx = add_cluster(clusters, "pdx");
  REQUIRE(pdx->remove(r::namespaces, "", "calico-system"));
  auto report = preflight(clusters);
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].message == "pdx: namespace calico-system does not exist");
}

TEST_CASE("an expired licence is refused before anything is written") {
  std::vector<mesh::Cluster> clusters;
  auto* iad = add_cluster(clusters, "iad");
  add_cluster(clusters, "pdx");
  Json licence = object_named("", "default");
  licence["status"] = {{"expiry", "2020-01-01T00:00:00Z"}};
  iad->put({"crd.projectcalico.org", "v1", "licensekeys", false}, licence);
  auto report = preflight(clusters);
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].cluster == "iad");
  CHECK(report.problems[0].message.find("expired") != std::string::npos);
}
