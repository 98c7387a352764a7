// Rotation's building blocks: token Secret generations, which one is current,
// the lifetime warnings, and the RotateResult views. The rotation itself runs
// against the lab in e2e 28 (secret tokens, interrupts) and e2e 09 (bound).
#include <doctest/doctest.h>

#include <ctime>

#include "calico/names.h"
#include "calico/remote_kubeconfig.h"
#include "mesh/credential.h"
#include "mesh/plan.h"
#include "mesh/rotate.h"
#include "output/rotate.h"
#include "test_jwt.h"
#include "util/base64.h"

using meshctl::Outcome;
using meshctl::kube::Json;
using meshctl::mesh::CredentialCheck;
using meshctl::mesh::LiveState;
using meshctl::test::b64url;

namespace {

Json token_secret(const std::string& ns, const std::string& name, const char* generation, bool labelled) {
  Json s = {
      {"type", "kubernetes.io/service-account-token"},
      {"metadata",
       {{"name", name},
        {"namespace", ns},
        {"annotations", {{"kubernetes.io/service-account.name", "tigera-federation-remote-cluster"}}}}}};
  if (generation != nullptr)
    s["metadata"]["annotations"]["meshctl.projectcalico.org/token-generation"] = generation;
  if (labelled)
    s["metadata"]["labels"] = {{"app.kubernetes.io/managed-by", "meshctl"}};
  return s;
}

}  // namespace

TEST_CASE("federation token Secrets: generation 0 has the documented name, rotations count up") {
  CHECK(meshctl::calico::federation_token_secret_name(0) == "tigera-federation-remote-cluster");
  CHECK(meshctl::calico::federation_token_secret_name(3) == "tigera-federation-remote-cluster-r3");
  CHECK(meshctl::mesh::token_generation(token_secret("calico-system", "x", "12", true)) == 12);
  for (const char* bad : {"", "-1", "1e3", "twelve", "99999999"})
    CHECK(meshctl::mesh::token_generation(token_secret("calico-system", "x", bad, true)) == 0);
  CHECK(meshctl::mesh::token_generation(token_secret("calico-system", "x", nullptr, true)) == 0);
}

TEST_CASE("the current token is meshctl's highest generation in the namespace, whatever else is there") {
  LiveState live;
  live.objects["a"] = token_secret("calico-system", "tigera-federation-remote-cluster", nullptr, true);
  live.objects["b"] = token_secret("calico-system", "tigera-federation-remote-cluster-r2", "2", true);
  live.objects["c"] = token_secret("calico-system", "someone-elses", "7", false);  // not labelled
  live.objects["d"] = token_secret("kube-system", "tigera-federation-remote-cluster-r5", "5", true);
  Json opaque = token_secret("calico-system", "remote-cluster-pdx", "9", true);
  opaque["type"] = "Opaque";
  live.objects["e"] = opaque;
  CHECK(meshctl::mesh::current_token_generation(live, "calico-system") == 2);
  CHECK(meshctl::mesh::current_token_generation(live, "kube-system") == 5);
  CHECK(meshctl::mesh::current_token_generation(LiveState{}, "calico-system") == 0);
}

TEST_CASE("join plans the token Secret of the current generation, annotated from generation 1 on") {
  meshctl::mesh::JoinOptions options;
  auto first = meshctl::mesh::federation_objects("iad", "calico-system", false, options);
  REQUIRE(first.has_value());
  CHECK(first->back().name == "tigera-federation-remote-cluster");
  CHECK_FALSE(
      first->back().body["metadata"]["annotations"].contains("meshctl.projectcalico.org/token-generation"));
  auto rotated = meshctl::mesh::federation_objects("iad", "calico-system", false, options, 4);
  REQUIRE(rotated.has_value());
  CHECK(rotated->back().name == "tigera-federation-remote-cluster-r4");
  CHECK(rotated->back().body["metadata"]["annotations"]["meshctl.projectcalico.org/token-generation"] == "4");
  CHECK(rotated->back().body["metadata"]["annotations"]["kubernetes.io/service-account.name"] ==
        "tigera-federation-remote-cluster");
}

TEST_CASE("a stored bound token warns from 80 % of its lifetime, and when expired") {
  const long long now = static_cast<long long>(std::time(nullptr));
  auto check_for = [&](long long iat, long long exp) {
    meshctl::calico::RemoteAccess access{
        "pdx", "https://pdx:6443", "", "",
        meshctl::Secret(b64url(R"({"alg":"RS256"})") + "." +
                        b64url(fmt::format(R"({{"iat":{},"exp":{}}})", iat, exp)) + ".sig")};
    auto kubeconfig = meshctl::calico::render_remote_kubeconfig(access);
    return meshctl::mesh::check_credential(kubeconfig.reveal(), nullptr, meshctl::mesh::Probe::no,
                                           std::chrono::seconds(1));
  };
  auto fresh = check_for(now - 3600, now + 3 * 3600);  // 25 % used
  CHECK(fresh.token_kind == "bound");
  CHECK(fresh.lifetime_seconds == 4 * 3600);
  CHECK_FALSE(meshctl::mesh::expiry_warning("iad", "pdx", fresh));
  auto late = check_for(now - 9 * 3600, now + 3600);  // 90 % used
  auto warning = meshctl::mesh::expiry_warning("iad", "pdx", late);
  REQUIRE(warning);
  CHECK(warning->find("iad <- pdx: the stored bound token has used 90% of its lifetime (expires in 60m)") ==
        0);
  CHECK(warning->find("meshctl rotate pdx") != std::string::npos);
  auto expired = check_for(now - 7200, now - 60);
  REQUIRE(meshctl::mesh::expiry_warning("iad", "pdx", expired));
  CHECK(meshctl::mesh::expiry_warning("iad", "pdx", expired)->find("has expired") != std::string::npos);
  CredentialCheck secret_token;
  secret_token.token_kind = "secret";
  CHECK_FALSE(meshctl::mesh::expiry_warning("iad", "pdx", secret_token));
}

TEST_CASE("a TokenRequest granted less than asked is said, with the server's flag") {
  auto now = std::chrono::system_clock::now();
  auto warning =
      meshctl::mesh::granted_lifetime_warning("pdx", now + std::chrono::hours(1), std::chrono::hours(48));
  REQUIRE(warning);
  CHECK(warning->find("pdx: the API server granted bound tokens 59m of the 2d asked") == 0);
  CHECK(warning->find("--service-account-max-token-expiration") != std::string::npos);
  CHECK_FALSE(
      meshctl::mesh::granted_lifetime_warning("pdx", now + std::chrono::hours(48), std::chrono::hours(48)));
}

TEST_CASE("a rotation's exit code: refusals first, then an interrupt, then the worst cluster") {
  meshctl::mesh::RotateReport report;
  meshctl::mesh::RotatedCluster ok, degraded;
  ok.state = meshctl::mesh::Rotation::rotated;
  degraded.state = meshctl::mesh::Rotation::incomplete;
  degraded.outcome = Outcome::links_degraded;
  report.clusters = {ok, degraded};
  CHECK(report.outcome() == Outcome::links_degraded);
  report.interrupted = true;
  CHECK(report.outcome() == Outcome::interrupted);
  report.problems = {
      {"pdx", meshctl::Errc::transport_refused, "pdx: connection refused", "is the API server up?"}};
  CHECK(report.outcome() == Outcome::unreachable);
  report.problems.push_back({"fra", meshctl::Errc::server_error, "fra: the token list failed", ""});
  CHECK(report.outcome() ==
        Outcome::unreachable);  // unreachable outranks the precondition a failed read makes
  report.problems.erase(report.problems.begin());
  CHECK(report.outcome() == Outcome::precondition);
}

TEST_CASE("RotateResult and the table name the credential, the links and what was retired") {
  meshctl::mesh::RotateReport report;
  meshctl::mesh::RotatedCluster c;
  c.name = "iad";
  c.context = "iad";
  c.mode = "secret";
  c.credential = "tigera-federation-remote-cluster-r1";
  c.state = meshctl::mesh::Rotation::rotated;
  c.updated = {"pdx"};
  c.revoked = {"tigera-federation-remote-cluster"};
  c.links = {{"pdx", "iad", meshctl::calico::LinkState::in_sync, "Sending in-sync update", true, true}};
  report.clusters = {c};
  auto doc = meshctl::output::rotate_json(report);
  CHECK(doc["kind"] == "RotateResult");
  CHECK(doc["exitCode"] == 0);
  CHECK(doc["clusters"][0]["links"][0]["state"] == "in-sync");
  CHECK(doc["clusters"][0]["revoked"][0] == "tigera-federation-remote-cluster");
  std::string table = meshctl::output::rotate_table(report, meshctl::output::TerminalStyle{});
  CHECK(table.find("iad      secret  tigera-federation-remote-cluster-r1  1/1 in sync  deleted "
                   "tigera-federation-remote-cluster  rotated") != std::string::npos);
}
