// leave/teardown decisions on an in-memory cluster: what meshctl made goes,
// what it took over is released, what others made stays.
#include <doctest/doctest.h>

#include "calico/names.h"
#include "fake_cluster.h"
#include "mesh/teardown.h"

using namespace meshctl;
using kube::Json;
using test::FakeCluster;
using test::object_named;
namespace r = kube::resources;

namespace {

const std::string kNs(calico::kCalicoNamespace);

Json managed(const std::string& remote = "") {
  Json labels = {{std::string(calico::kManagedByLabel), std::string(calico::kManagedByValue)}};
  if (!remote.empty())
    labels[std::string(calico::kRemoteClusterLabel)] = remote;
  return labels;
}

// One cluster's mesh as join leaves it, plus what others made beside it.
FakeCluster* add_cluster(std::vector<mesh::Cluster>& clusters, const std::string& name,
                         const std::vector<std::string>& remotes) {
  auto fake = std::make_unique<FakeCluster>();
  for (const auto& remote : remotes) {
    fake->put(r::remote_cluster_configurations, object_named("", remote, managed(remote)));
    fake->put(r::secrets, object_named(kNs, "remote-cluster-" + remote, managed(remote)));
    fake->put(r::roles, object_named(kNs, "remote-cluster-secret-access-" + remote, managed(remote)));
    fake->put(r::role_bindings, object_named(kNs, "remote-cluster-secret-access-" + remote, managed(remote)));
  }
  fake->put(r::service_accounts, object_named(kNs, std::string(calico::kFederationName), managed()));
  fake->put(r::secrets, object_named(kNs, std::string(calico::kFederationName), managed()));
  fake->put(r::cluster_roles, object_named("", std::string(calico::kFederationName), managed()));
  // Not meshctl's: a hand-made RCC and an unrelated Secret.
  fake->put(r::remote_cluster_configurations, object_named("", "hand-made"));
  fake->put(r::secrets, object_named(kNs, "someone-elses"));
  FakeCluster* raw = fake.get();
  clusters.push_back(mesh::Cluster{{name, name}, {}, std::move(fake)});
  return raw;
}

mesh::TeardownReport leave(std::vector<mesh::Cluster>& clusters, std::set<std::string> leaving,
                           bool dry_run = false) {
  mesh::TeardownOptions options;
  options.leaving = std::move(leaving);
  options.dry_run = dry_run;
  return mesh::run_teardown(clusters, std::vector<bool>(clusters.size(), false), options, [](auto, auto) {});
}

}  // namespace

TEST_CASE("leave: the leaver loses every meshctl object, its peers only their links to it") {
  std::vector<mesh::Cluster> clusters;
  FakeCluster* iad = add_cluster(clusters, "iad", {"pdx", "fra"});
  FakeCluster* pdx = add_cluster(clusters, "pdx", {"iad", "fra"});
  auto report = leave(clusters, {"iad"});
  CHECK(report.exit_code() == 0);

  CHECK(iad->find(r::remote_cluster_configurations, "", "pdx") == nullptr);
  CHECK(iad->find(r::service_accounts, kNs, std::string(calico::kFederationName)) == nullptr);
  CHECK(iad->find(r::cluster_roles, "", std::string(calico::kFederationName)) == nullptr);
  CHECK(pdx->find(r::remote_cluster_configurations, "", "iad") == nullptr);
  CHECK(pdx->find(r::secrets, kNs, "remote-cluster-iad") == nullptr);
  // pdx keeps its identity and its link to fra.
  CHECK(pdx->find(r::remote_cluster_configurations, "", "fra") != nullptr);
  CHECK(pdx->find(r::secrets, kNs, std::string(calico::kFederationName)) != nullptr);

  for (FakeCluster* c : {iad, pdx}) {
    CHECK(c->find(r::secrets, kNs, "someone-elses") != nullptr);
    CHECK(c->find(r::remote_cluster_configurations, "", "hand-made") != nullptr);
  }
}

TEST_CASE("a hand-made RCC named after the leaver is reported, not deleted") {
  std::vector<mesh::Cluster> clusters;
  FakeCluster* pdx = add_cluster(clusters, "pdx", {});
  pdx->put(r::remote_cluster_configurations, object_named("", "iad"));
  auto report = leave(clusters, {"iad"});
  CHECK(pdx->find(r::remote_cluster_configurations, "", "iad") != nullptr);
  bool reported = false;
  for (const auto& o : report.objects)
    reported = reported || (o.name == "iad" && o.action == mesh::Removal::kept_unmanaged);
  CHECK(reported);
}

TEST_CASE("an object join took over is released: kept, meshctl's labels and record removed") {
  std::vector<mesh::Cluster> clusters;
  FakeCluster* iad = add_cluster(clusters, "iad", {});
  Json adopted = object_named(kNs, "pre-existing-token", managed());
  adopted["metadata"]["annotations"][std::string(calico::kAdoptedAnnotation)] = "2026-01-01T00:00:00Z";
  iad->put(r::secrets, adopted);
  auto report = leave(clusters, {"iad"});
  CHECK(report.exit_code() == 0);
  const Json* kept = iad->find(r::secrets, kNs, "pre-existing-token");
  REQUIRE(kept != nullptr);
  CHECK_FALSE(
      kept->at("metadata").value("labels", Json::object()).contains(std::string(calico::kManagedByLabel)));
  CHECK_FALSE(kept->at("metadata")
                  .value("annotations", Json::object())
                  .contains(std::string(calico::kAdoptedAnnotation)));
}

TEST_CASE("--dry-run lists the deletes and writes nothing") {
  std::vector<mesh::Cluster> clusters;
  FakeCluster* iad = add_cluster(clusters, "iad", {"pdx"});
  auto report = leave(clusters, {"iad"}, true);
  CHECK(iad->writes().empty());
  size_t would = 0;
  for (const auto& o : report.objects)
    would += o.action == mesh::Removal::would_delete ? 1u : 0u;
  CHECK(would == 7);  // the link's RCC, Secret, Role, RoleBinding; the account, its token, its ClusterRole
}

TEST_CASE("pools meshctl made for the leaver's pod CIDRs go; those for other clusters stay") {
  std::vector<mesh::Cluster> clusters;
  FakeCluster* iad = add_cluster(clusters, "iad", {"pdx", "fra"});
  iad->put(r::ip_pools, object_named("", "remote-pdx-10-11-0-0-16", managed("pdx")));
  iad->put(r::ip_pools, object_named("", "remote-fra-10-12-0-0-16", managed("fra")));
  iad->put(r::ip_pools, object_named("", "default-ipv4-ippool"));
  auto report = leave(clusters, {"pdx"});
  CHECK(report.exit_code() == 0);
  CHECK(iad->find(r::ip_pools, "", "remote-pdx-10-11-0-0-16") == nullptr);
  CHECK(iad->find(r::ip_pools, "", "remote-fra-10-12-0-0-16") != nullptr);
  CHECK(iad->find(r::ip_pools, "", "default-ipv4-ippool") != nullptr);
}

TEST_CASE("teardown that asks first: the preview writes nothing, a no deletes nothing, a yes deletes") {
  for (bool answer : {false, true}) {
    std::vector<mesh::Cluster> clusters;
    FakeCluster* iad = add_cluster(clusters, "iad", {"pdx"});
    mesh::TeardownOptions options;
    options.leaving = {"iad"};
    size_t previewed = 0;
    options.confirm = [&](const mesh::TeardownReport& preview) {
      CHECK(iad->writes().empty());
      for (const auto& o : preview.objects)
        previewed += o.action == mesh::Removal::would_delete ? 1u : 0u;
      return answer;
    };
    auto report = mesh::run_teardown(clusters, {false}, options, [](auto, auto) {});
    CHECK(previewed == 7);
    CHECK(report.not_confirmed == !answer);
    CHECK(report.exit_code() == (answer ? 0 : 1));
    CHECK((iad->find(r::service_accounts, kNs, std::string(calico::kFederationName)) == nullptr) == answer);
  }
}

TEST_CASE("teardown that asks first does not ask when the preview shows a refused delete") {
  std::vector<mesh::Cluster> clusters;
  FakeCluster* iad = add_cluster(clusters, "iad", {"pdx"});
  iad->deny("delete", "", "secrets");
  mesh::TeardownOptions options;
  options.leaving = {"iad"};
  bool asked = false;
  options.confirm = [&](const mesh::TeardownReport&) {
    asked = true;
    return true;
  };
  auto report = mesh::run_teardown(clusters, {false}, options, [](auto, auto) {});
  CHECK_FALSE(asked);
  CHECK(report.dry_run);  // the preview is what the user sees
  CHECK(report.exit_code() == 1);
  CHECK(iad->writes().empty());
}

TEST_CASE("a named cluster that cannot be searched stops the run before any delete, with cause and fix") {
  std::vector<mesh::Cluster> clusters;
  FakeCluster* iad = add_cluster(clusters, "iad", {"pdx"});
  FakeCluster* pdx = add_cluster(clusters, "pdx", {"iad"});
  pdx->deny("list", "projectcalico.org", "remoteclusterconfigurations");
  auto report = leave(clusters, {"iad"});
  REQUIRE(report.unreachable.size() == 1);
  CHECK(report.unreachable[0].cluster == "pdx");
  CHECK(report.unreachable[0].code == Errc::forbidden);
  CHECK(report.exit_code() == exit_code(Outcome::precondition));  // a refusal, not a lost connection
  CHECK(report.objects.empty());
  CHECK(iad->find(r::remote_cluster_configurations, "", "pdx") != nullptr);
  CHECK(iad->writes().empty());
}
