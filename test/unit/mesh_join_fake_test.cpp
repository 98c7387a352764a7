// join's decisions on in-memory clusters: what it writes, what it leaves
// alone, what it takes over, and when it calls a link in sync. Typha's lines
// are real Enterprise Typha lines (see calico_typha_log_test.cpp).
#include <doctest/doctest.h>

#include <algorithm>

#include "calico/names.h"
#include "fake_mesh.h"
#include "mesh/apply.h"
#include "mesh/join.h"
#include "util/base64.h"

using namespace meshctl;
using kube::Json;
using test::FakeCluster;
using test::object_named;
namespace r = kube::resources;

namespace {

using test::failed_line;
using test::FakeMesh;
using test::in_sync_line;
using test::kNs;

size_t count_action(const mesh::JoinReport& report, mesh::Action action) {
  return static_cast<size_t>(std::count_if(report.objects.begin(), report.objects.end(),
                                           [&](const mesh::ObjectResult& o) { return o.action == action; }));
}

}  // namespace

TEST_CASE("a fresh join creates each cluster's identity and each directed link") {
  auto mesh = test::two_clusters();
  auto report = mesh.join();
  CHECK(report.exit_code() == 0);
  CHECK(count_action(report, mesh::Action::create) == report.objects.size());
  for (const auto& [local, remote] : {std::pair{"iad", "pdx"}, std::pair{"pdx", "iad"}}) {
    CHECK(mesh.fakes[local]->find(r::remote_cluster_configurations, "", remote) != nullptr);
    CHECK(mesh.fakes[local]->find(r::secrets, kNs, std::string("remote-cluster-") + remote) != nullptr);
  }
}

TEST_CASE("the link Secret holds the remote's address and federation token, nothing of the user's") {
  auto mesh = test::two_clusters();
  REQUIRE(mesh.join().exit_code() == 0);
  const Json* link = mesh.fakes["iad"]->find(r::secrets, kNs, "remote-cluster-pdx");
  REQUIRE(link != nullptr);
  auto kubeconfig = base64_decode(link->at("data").at("kubeconfig").get<std::string>());
  REQUIRE(kubeconfig);
  const Json* pdx_token = mesh.fakes["pdx"]->find(r::secrets, kNs, std::string(calico::kFederationName));
  REQUIRE(pdx_token != nullptr);
  auto token = base64_decode(pdx_token->at("data").at("token").get<std::string>());
  REQUIRE(token);
  CHECK(kubeconfig->find("https://127.0.0.3:6443") != std::string::npos);
  CHECK(kubeconfig->find(*token) != std::string::npos);
  CHECK(kubeconfig->find("exec") == std::string::npos);
  CHECK(kubeconfig->find("insecure-skip-tls-verify") == std::string::npos);
}

TEST_CASE("a second join finds every object unchanged and writes no Secret, account or RCC") {
  auto mesh = test::two_clusters();
  REQUIRE(mesh.join().exit_code() == 0);
  std::map<std::string, size_t> before;
  for (auto& [name, fake] : mesh.fakes)
    before[name] = fake->writes().size();
  auto again = mesh.join();
  CHECK(again.exit_code() == 0);
  CHECK(count_action(again, mesh::Action::unchanged) == again.objects.size());
  for (auto& [name, fake] : mesh.fakes) {
    auto writes = fake->writes();
    for (size_t i = before[name]; i < writes.size(); ++i) {
      INFO(name << ": " << writes[i]);
      CHECK(writes[i].find(" secrets ") == std::string::npos);
      CHECK(writes[i].find(" serviceaccounts ") == std::string::npos);
      CHECK(writes[i].find(" remoteclusterconfigurations ") == std::string::npos);
    }
  }
}

TEST_CASE("a link Secret someone else made is taken over and the takeover recorded") {
  auto mesh = test::two_clusters();
  Json theirs = object_named(kNs, "remote-cluster-pdx");
  theirs["data"] = {{"kubeconfig", base64_encode("hand-made")}};
  mesh.fakes["iad"]->put(r::secrets, theirs);
  auto report = mesh.join();
  CHECK(report.exit_code() == 0);
  auto adopted = std::find_if(report.objects.begin(), report.objects.end(), [](const mesh::ObjectResult& o) {
    return o.cluster == "iad" && o.name == "remote-cluster-pdx";
  });
  REQUIRE(adopted != report.objects.end());
  CHECK(adopted->action == mesh::Action::adopt);
  const Json* now = mesh.fakes["iad"]->find(r::secrets, kNs, "remote-cluster-pdx");
  REQUIRE(now != nullptr);
  CHECK(now->at("metadata").at("annotations").contains(std::string(calico::kAdoptedAnnotation)));
}

TEST_CASE("--dry-run writes nothing anywhere") {
  auto mesh = test::two_clusters();
  auto report = mesh.join(false, true);
  for (auto& [name, fake] : mesh.fakes)
    CHECK(fake->writes().empty());
  CHECK(report.exit_code() == 0);
}

TEST_CASE("join --wait calls a link in sync on Typha's in-sync line, and not on a failure line") {
  auto mesh = test::two_clusters();
  mesh.typha_says("iad", in_sync_line("pdx"));
  mesh.typha_says("pdx", in_sync_line("iad") + failed_line("iad"));
  auto report = mesh.join(true);
  REQUIRE(report.links.size() == 2);
  for (const auto& link : report.links) {
    INFO(link.local << " <- " << link.remote << ": " << link.detail);
    CHECK(link.state ==
          (link.local == "iad" ? calico::LinkState::in_sync : calico::LinkState::connection_failed));
  }
  CHECK(report.exit_code() != 0);
}

TEST_CASE("apply_chains writes lists in step and stops a list on its own failure only") {
  FakeCluster cluster;
  cluster.deny("patch", "", "secrets");
  auto object = [](const kube::Resource& resource, const char* kind, const char* name,
                   mesh::WriteOrder order) {
    mesh::DesiredObject d;
    d.resource = resource;
    d.kind = kind;
    d.namespace_ = resource.namespaced ? kNs : "";
    d.name = name;
    d.order = order;
    d.body = {{"apiVersion", "v1"}, {"kind", kind}, {"metadata", {{"name", name}}}};
    if (resource.namespaced)
      d.body["metadata"]["namespace"] = kNs;
    return d;
  };
  const auto first = mesh::WriteOrder::after_previous;
  const auto with = mesh::WriteOrder::with_previous;
  // Like a link: a round of two, then one after it.
  const std::vector<mesh::DesiredObject> fine = {object(r::roles, "Role", "a", first),
                                                 object(r::role_bindings, "RoleBinding", "a", with),
                                                 object(r::service_accounts, "ServiceAccount", "a", first)};
  const std::vector<mesh::DesiredObject> refused = {
      object(r::secrets, "Secret", "b", first), object(r::roles, "Role", "b", with),
      object(r::service_accounts, "ServiceAccount", "b", first)};
  auto results =
      mesh::apply_chains(cluster, "iad", {&fine, &refused}, mesh::LiveState{}, kube::ApplyOptions{});
  REQUIRE(results.size() == 2);
  REQUIRE(results[0].size() == 3);
  for (const auto& result : results[0])
    CHECK(result.action == mesh::Action::create);
  REQUIRE(results[1].size() == 3);
  CHECK(results[1][0].action == mesh::Action::failed);
  CHECK(results[1][1].action == mesh::Action::create);  // in the failed round, written with it
  CHECK(results[1][2].action == mesh::Action::skipped);
  CHECK(cluster.find(r::service_accounts, kNs, "a") != nullptr);
  CHECK(cluster.find(r::service_accounts, kNs, "b") == nullptr);
  // In step: both first rounds before either second.
  const auto writes = cluster.writes();
  REQUIRE(writes.size() == 4);
  CHECK(writes[3] == "apply serviceaccounts " + std::string(kNs) + "/a");
}
