// status's judgement on in-memory clusters joined by join: Typha's words,
// the objects join wrote, and which exit code the mesh earns.
#include <doctest/doctest.h>

#include "fake_mesh.h"
#include "mesh/status.h"

using namespace meshctl;
using test::failed_line;
using test::in_sync_line;
using test::kNs;
namespace r = kube::resources;

namespace {

mesh::StatusReport status_of(test::FakeMesh& mesh) {
  mesh::StatusOptions options;
  options.check_credentials = false;  // the fake's tokens reach no API server
  return mesh::gather_status(mesh.clusters, std::vector<bool>(mesh.clusters.size(), false), options);
}

const mesh::LinkStatus& link(const mesh::StatusReport& report, const std::string& local) {
  for (const auto& l : report.links) {
    if (l.local == local)
      return l;
  }
  FAIL("no link in " << local);
  return report.links.front();
}

}  // namespace

TEST_CASE("a joined mesh whose Typhas say in sync is healthy") {
  auto mesh = test::two_clusters();
  REQUIRE(mesh.join().exit_code() == 0);
  mesh.typha_says("iad", in_sync_line("pdx"));
  mesh.typha_says("pdx", in_sync_line("iad"));
  auto report = status_of(mesh);
  CHECK(report.links.size() == 2);
  CHECK(report.exit_code() == 0);
}

TEST_CASE("a failure after in-sync stays a failure until the stored credential is shown to work") {
  auto mesh = test::two_clusters();
  REQUIRE(mesh.join().exit_code() == 0);
  mesh.typha_says("iad", in_sync_line("pdx"));
  mesh.typha_says("pdx", in_sync_line("iad") + failed_line("iad"));
  auto report = status_of(mesh);  // no credential check: nothing shows Typha's failure is stale
  CHECK(link(report, "pdx").state == calico::LinkState::connection_failed);
  CHECK(link(report, "iad").state == calico::LinkState::in_sync);
  CHECK(report.exit_code() == 3);
}

TEST_CASE("a link Secret deleted behind meshctl's back makes the link misconfigured (exit 5)") {
  auto mesh = test::two_clusters();
  REQUIRE(mesh.join().exit_code() == 0);
  mesh.typha_says("iad", in_sync_line("pdx"));
  mesh.typha_says("pdx", in_sync_line("iad"));
  REQUIRE(mesh.fakes["iad"]->remove(r::secrets, kNs, "remote-cluster-pdx"));
  auto report = status_of(mesh);
  CHECK(link(report, "iad").misconfigured());
  CHECK_FALSE(link(report, "pdx").misconfigured());
  CHECK(report.exit_code() == 5);
}

TEST_CASE("Typha silent about a link: not in sync, and said so") {
  auto mesh = test::two_clusters();
  REQUIRE(mesh.join().exit_code() == 0);
  mesh.typha_says("iad", in_sync_line("pdx"));
  mesh.typha_says("pdx", "");
  auto report = status_of(mesh);
  CHECK(link(report, "pdx").state == calico::LinkState::unknown);
  CHECK(link(report, "pdx").detail.find("has said nothing about iad") != std::string::npos);
  CHECK(report.exit_code() == 3);
}

TEST_CASE("a named cluster status cannot read: the exit code follows the cause, the fix is kept") {
  auto mesh = test::two_clusters();
  REQUIRE(mesh.join().exit_code() == 0);
  mesh.typha_says("iad", in_sync_line("pdx"));
  mesh.typha_says("pdx", in_sync_line("iad"));
  mesh.fakes["pdx"]->deny("list", "projectcalico.org", "remoteclusterconfigurations");
  auto forbidden = status_of(mesh);
  REQUIRE(forbidden.clusters.size() == 2);
  CHECK_FALSE(forbidden.clusters[1].reachable);
  CHECK(forbidden.clusters[1].error.code == Errc::forbidden);
  CHECK(forbidden.exit_code() == exit_code(Outcome::precondition));  // a refusal, not a lost connection

  test::FakeMesh bare;
  bare.add("iad", "https://10.0.0.1:6443");
  bare.clusters.push_back(mesh::Cluster{
      {"plain", "plain"}, {}, std::make_unique<test::FakeCluster>(test::FakeCluster::Calico::none)});
  auto not_served = status_of(bare);
  REQUIRE(not_served.clusters.size() == 2);
  CHECK(not_served.clusters[1].error.code == Errc::precondition);
  CHECK(not_served.clusters[1].error.hint.find("Calico Enterprise") != std::string::npos);
  CHECK(not_served.exit_code() == exit_code(Outcome::precondition));
}
