// Mesh members: names derived from contexts, collisions refused in one line,
// and kubeconfig problems reported with their hints.
#include <doctest/doctest.h>

#include <algorithm>

#include "kube/kubeconfig.h"
#include "mesh/cluster.h"
#include "output/errors.h"

using namespace meshctl;
using namespace meshctl::mesh;

namespace {

std::vector<Member> members(std::initializer_list<const char*> args) {
  std::vector<Member> out;
  for (const char* arg : args) {
    auto m = parse_member(arg);
    REQUIRE_MESSAGE(m.has_value(), m.error().message);
    out.push_back(*m);
  }
  return out;
}

kube::Kubeconfig config(const std::string& text) {
  auto parsed = kube::parse_kubeconfig(text, "/x/config", "/x");
  REQUIRE_MESSAGE(parsed.has_value(), parsed.error().message);
  return std::move(*parsed);
}

constexpr const char* kTwoContexts = R"(
clusters:
- name: c
  cluster: {server: https://c.example}
contexts:
- name: good
  context: {cluster: c}
- name: no-cluster
  context: {cluster: missing}
- name: no-user
  context: {cluster: c, user: missing}
)";

}  // namespace

TEST_CASE("mesh names that collide after sanitising are one line naming both contexts") {
  auto status = check_members(members({"iad", "gke_proj_us-east1_iad"}));
  REQUIRE_FALSE(status);
  CHECK(status.error().code == Errc::usage);
  CHECK(
      status.error().message ==
      R"(the cluster list is ambiguous: mesh name "iad" is used twice (contexts "iad" and "gke_proj_us-east1_iad"))");
  CHECK(status.error().hint ==
        "name the clusters explicitly with NAME=CTX, e.g. iad-2=gke_proj_us-east1_iad");
}

TEST_CASE("several problems in the cluster list stay on one line") {
  auto status = check_members(members({"a=iad", "a=pdx", "iad"}));
  REQUIRE_FALSE(status);
  CHECK(status.error().message.find('\n') == std::string::npos);
  CHECK(status.error().message.find(R"(mesh name "a" is used twice (contexts "iad" and "pdx"))") !=
        std::string::npos);
  CHECK(status.error().message.find(R"(context "iad" is named twice)") != std::string::npos);
  CHECK(check_members(members({"iad", "pdx"})).has_value());
}

TEST_CASE("open_clusters keeps the hint of a single kubeconfig problem") {
  auto opened = open_clusters(config(kTwoContexts), members({"good", "no-cluster"}), {});
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == Errc::config);
  CHECK(opened.error().message ==
        R"(kubeconfig /x/config: context "no-cluster": cluster "missing" not found)");
  CHECK(opened.error().hint.find("kubectl config set-context no-cluster --cluster=NAME") !=
        std::string::npos);
}

TEST_CASE("open_clusters reports several problems one line each, each with its hint") {
  auto opened = open_clusters(config(kTwoContexts), members({"no-cluster", "no-user"}), {});
  REQUIRE_FALSE(opened);
  const Error& e = opened.error();
  CHECK(e.code == Errc::config);
  CHECK(e.message == R"(kubeconfig /x/config: context "no-cluster": cluster "missing" not found)");
  CHECK_FALSE(e.hint.empty());
  REQUIRE(e.also.size() == 1);
  CHECK(e.also[0].message == R"(kubeconfig /x/config: context "no-user": user "missing" not found)");
  CHECK_FALSE(e.also[0].hint.empty());
  // The view: one line per context, each with its hint.
  const std::string lines = output::error_lines(e);
  REQUIRE(std::count(lines.begin(), lines.end(), '\n') == 2);
  CHECK(
      lines.find(
          R"(meshctl: error: kubeconfig /x/config: context "no-cluster": cluster "missing" not found (hint: )") ==
      0);
  CHECK(lines.find("\nmeshctl: error: kubeconfig /x/config: context \"no-user\": user \"missing\" not found "
                   "(hint: ") != std::string::npos);
}
