// join's decisions on in-memory clusters: what it writes, what it leaves
// alone, what it takes over, and when it calls a link in sync. Typha's lines
// are real Enterprise Typha lines (see calico_typha_log_test.cpp).
#include <doctest/doctest.h>

#include <algorithm>

#include "calico/names.h"
#include "fake_mesh.h"
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
