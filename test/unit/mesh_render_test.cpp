// render's planning and its views, from made-up preflight facts (e2e 27 renders
// the lab's clusters and applies the result with kubectl).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "calico/names.h"
#include "calico/remote_kubeconfig.h"
#include "mesh/render.h"
#include "output/render.h"
#include "util/base64.h"
#include "util/files.h"

using meshctl::Errc;
using meshctl::kube::Json;
using meshctl::mesh::Cluster;
using meshctl::mesh::DesiredObject;
using meshctl::mesh::JoinOptions;
using meshctl::mesh::PreflightFacts;
using meshctl::mesh::RenderedCluster;
using meshctl::mesh::RenderReport;

namespace {

constexpr const char* kIadToken = "eyJ-iad-federation-token";

Cluster cluster(const char* name, const char* server) {
  Cluster c;
  c.member = {name, std::string("ctx-") + name};
  c.context.cluster.server = server;
  c.context.cluster.ca_pem = std::string("CA of ") + name;
  return c;
}

std::string key(const meshctl::kube::Resource& r, const std::string& ns, const std::string& name) {
  return meshctl::mesh::object_key(r, ns, name);
}

const std::string kFed(meshctl::calico::kFederationName);

// iad: its ServiceAccount and a filled token Secret for it; pdx: nothing yet.
std::vector<PreflightFacts> facts_iad_token_pdx_nothing(const char* token_uid = "uid-1") {
  PreflightFacts iad, pdx;
  for (auto* f : {&iad, &pdx}) {
    f->federation_namespace = "calico-system";
    f->overlay_routing = "Enabled";
  }
  iad.live.objects[key(meshctl::kube::resources::service_accounts, "calico-system", kFed)] = {
      {"metadata",
       {{"name", kFed}, {"uid", "uid-1"}, {"labels", {{"app.kubernetes.io/managed-by", "meshctl"}}}}}};
  iad.live.objects[key(meshctl::kube::resources::secrets, "calico-system", kFed)] = {
      {"metadata",
       {{"name", kFed},
        {"labels", {{"app.kubernetes.io/managed-by", "meshctl"}}},
        {"annotations", {{"kubernetes.io/service-account.uid", token_uid}}}}},
      {"data",
       {{"token", meshctl::base64_encode(kIadToken)}, {"ca.crt", meshctl::base64_encode("root CA of iad")}}}};
  return {iad, pdx};
}

std::vector<Cluster> two_clusters() {
  std::vector<Cluster> clusters;
  clusters.push_back(cluster("iad", "https://iad.example:6443"));
  clusters.push_back(cluster("pdx", "https://pdx.example:6443"));
  return clusters;
}

const DesiredObject& find(const RenderedCluster& c, const std::string& kind, const std::string& name) {
  for (const auto& d : c.objects) {
    if (d.kind == kind && d.name == name)
      return d;
  }
  FAIL("no " << kind << " " << name << " in " << c.name);
  throw std::logic_error("unreachable");
}

std::string stored_token(const DesiredObject& link_secret) {
  auto stored =
      meshctl::calico::read_remote_kubeconfig(meshctl::mesh::secret_data(link_secret.body, "kubeconfig"));
  REQUIRE(stored.has_value());
  return stored->token.reveal();
}

}  // namespace

TEST_CASE("render plans join's objects per cluster: federation first, then Secret, Role, RoleBinding, RCC") {
  auto clusters = two_clusters();
  std::vector<std::string> warnings;
  auto rendered = meshctl::mesh::plan_render(clusters, facts_iad_token_pdx_nothing(), JoinOptions{},
                                             meshctl::mesh::Credentials::placeholders, warnings);
  REQUIRE(rendered.size() == 2);
  std::vector<std::string> kinds;
  for (const auto& d : rendered[0].objects)
    kinds.push_back(d.kind);
  CHECK(kinds == std::vector<std::string>{"ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                                          "ClusterRole", "ClusterRoleBinding", "Secret", "Secret", "Role",
                                          "RoleBinding", "RemoteClusterConfiguration"});
  CHECK(rendered[0].objects.back().body["spec"]["syncOptions"]["overlayRoutingMode"] == "Enabled");
  CHECK(rendered[0].objects.back().name == "pdx");
}

TEST_CASE("Disabled routing: a disabled, unencapsulated IPPool per pod CIDR of the remote, before the RCC") {
  auto clusters = two_clusters();
  auto facts = facts_iad_token_pdx_nothing();
  facts[0].overlay_routing = "Disabled";
  facts[1].flavour.data_plane.enabled_pools = std::vector<meshctl::calico::Pool>{
      {"default-ipv4-ippool", "10.11.0.0/16", 24}, {"v6", "FD00:11::/64", 0}};
  facts[0].flavour.data_plane.enabled_pools = std::vector<meshctl::calico::Pool>{{"p", "10.10.0.0/16", 0}};
  std::vector<std::string> warnings;
  auto rendered = meshctl::mesh::plan_render(clusters, facts, JoinOptions{},
                                             meshctl::mesh::Credentials::placeholders, warnings);
  REQUIRE(rendered.size() == 2);
  const auto& objects = rendered[0].objects;
  REQUIRE(objects.size() == 12);
  CHECK(objects.back().kind == "RemoteClusterConfiguration");
  CHECK(objects.back().body["spec"]["syncOptions"]["overlayRoutingMode"] == "Disabled");
  const auto& v4 = find(rendered[0], "IPPool", "remote-cluster-pdx-10-11-0-0-16");
  CHECK(v4.body["apiVersion"] == "projectcalico.org/v3");
  CHECK(v4.body["spec"] == Json{{"cidr", "10.11.0.0/16"},
                                {"blockSize", 24},
                                {"disabled", true},
                                {"natOutgoing", false},
                                {"ipipMode", "Never"},
                                {"vxlanMode", "Never"}});
  CHECK(v4.body["metadata"]["labels"]["meshctl.projectcalico.org/remote-cluster"] == "pdx");
  CHECK(v4.body["metadata"]["labels"]["meshctl.projectcalico.org/role"] == "remote-pool");
  CHECK(v4.remote == "pdx");
  const auto& v6 = find(rendered[0], "IPPool", "remote-cluster-pdx-fd00-11---64");
  CHECK(v6.body["spec"]["blockSize"] == 122);  // Calico's IPv6 default where the remote pool left it unset
  // pdx routes over its overlay: no pools for iad there.
  for (const auto& d : rendered[1].objects)
    CHECK(d.kind != "IPPool");
}

TEST_CASE(
    "join --dry-run=client: fresh clusters, placeholders everywhere, overlay routing assumed or given") {
  auto clusters = two_clusters();
  auto report = meshctl::mesh::render_offline(clusters, JoinOptions{});
  REQUIRE(report.clusters.size() == 2);
  CHECK(report.clusters[0].objects.size() == 10);
  CHECK(report.clusters[0].placeholders == std::vector<std::string>{"pdx"});
  CHECK(report.clusters[1].placeholders == std::vector<std::string>{"iad"});
  CHECK(report.clusters[0].objects.back().body["spec"]["syncOptions"]["overlayRoutingMode"] == "Enabled");
  REQUIRE(report.warnings.size() == 1);
  CHECK(report.warnings[0].find("overlayRoutingMode Enabled is assumed") == 0);

  JoinOptions disabled;
  disabled.overlay_routing = "Disabled";
  auto given = meshctl::mesh::render_offline(clusters, disabled);
  // The remotes' pod CIDRs are not read offline, so their disabled pools cannot be rendered: said, not
  // hidden.
  REQUIRE(given.warnings.size() == 1);
  CHECK(given.warnings[0].find("the disabled IPPools Disabled routing needs") == 0);
  CHECK(given.clusters[1].objects.size() == 10);
  CHECK(given.clusters[1].objects.back().body["spec"]["syncOptions"]["overlayRoutingMode"] == "Disabled");
}

TEST_CASE("without --include-credentials every link Secret holds the placeholder and no token appears") {
  auto clusters = two_clusters();
  std::vector<std::string> warnings;
  auto rendered = meshctl::mesh::plan_render(clusters, facts_iad_token_pdx_nothing(), JoinOptions{},
                                             meshctl::mesh::Credentials::placeholders, warnings);
  CHECK(rendered[0].placeholders == std::vector<std::string>{"pdx"});
  CHECK(rendered[1].placeholders == std::vector<std::string>{"iad"});
  CHECK(stored_token(find(rendered[1], "Secret", "remote-cluster-iad")) ==
        meshctl::mesh::token_placeholder("iad"));
  for (const auto& c : rendered) {
    for (const auto& d : c.objects) {
      std::string text = d.body.dump();
      if (d.body.contains("data") && d.body["data"].contains("kubeconfig"))
        text += meshctl::mesh::secret_data(d.body, "kubeconfig");
      CHECK(text.find(kIadToken) == std::string::npos);
    }
  }
  RenderReport report;
  report.clusters = rendered;
  for (const auto& f :
       meshctl::output::render_files(report, "meshctl render ctx-iad ctx-pdx --include-credentials"))
    CHECK(f.content.find(kIadToken) == std::string::npos);
}

TEST_CASE("with --include-credentials a remote's own token is used where it exists; elsewhere a warning") {
  auto clusters = two_clusters();
  std::vector<std::string> warnings;
  auto rendered = meshctl::mesh::plan_render(clusters, facts_iad_token_pdx_nothing(), JoinOptions{},
                                             meshctl::mesh::Credentials::included, warnings);
  CHECK(stored_token(find(rendered[1], "Secret", "remote-cluster-iad")) == kIadToken);
  CHECK(rendered[1].placeholders.empty());
  CHECK(stored_token(find(rendered[0], "Secret", "remote-cluster-pdx")) ==
        meshctl::mesh::token_placeholder("pdx"));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find(
            "ctx-pdx: Secret calico-system/tigera-federation-remote-cluster does not exist yet") == 0);
  CHECK(warnings[0].find("render again") != std::string::npos);
}

TEST_CASE("a token issued for an earlier ServiceAccount is never rendered") {
  auto clusters = two_clusters();
  std::vector<std::string> warnings;
  auto rendered = meshctl::mesh::plan_render(clusters, facts_iad_token_pdx_nothing("uid-0"), JoinOptions{},
                                             meshctl::mesh::Credentials::included, warnings);
  CHECK(stored_token(find(rendered[1], "Secret", "remote-cluster-iad")) ==
        meshctl::mesh::token_placeholder("iad"));
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0].find("ctx-iad: Secret calico-system/tigera-federation-remote-cluster holds a token of an "
                         "earlier ServiceAccount") == 0);
}

TEST_CASE("a peer stores the kubeconfig's CA, or the root CA from the token Secret where TLS is skipped") {
  auto clusters = two_clusters();
  clusters[0].context.cluster.ca_pem.clear();
  clusters[0].context.cluster.insecure_skip_tls_verify = true;
  std::vector<std::string> warnings;
  auto rendered = meshctl::mesh::plan_render(clusters, facts_iad_token_pdx_nothing(), JoinOptions{},
                                             meshctl::mesh::Credentials::placeholders, warnings);
  auto stored = meshctl::calico::read_remote_kubeconfig(
      meshctl::mesh::secret_data(find(rendered[1], "Secret", "remote-cluster-iad").body, "kubeconfig"));
  REQUIRE(stored.has_value());
  CHECK(stored->ca_pem == "root CA of iad");
  CHECK_FALSE(stored->insecure);
  auto pdx = meshctl::calico::read_remote_kubeconfig(
      meshctl::mesh::secret_data(find(rendered[0], "Secret", "remote-cluster-pdx").body, "kubeconfig"));
  CHECK(pdx->ca_pem == "CA of pdx");
  CHECK(pdx->server == "https://pdx.example:6443");
}

TEST_CASE(
    "an object made by other means is rendered with join's takeover record; an earlier record is kept") {
  auto clusters = two_clusters();
  auto facts = facts_iad_token_pdx_nothing();
  const std::string adopted(meshctl::calico::kAdoptedAnnotation);
  // Made by hand under the documented name, no label.
  facts[1].live.objects[key(meshctl::kube::resources::cluster_roles, "", kFed)] = {
      {"metadata", {{"name", kFed}}}};
  // Taken over by an earlier join: labelled and recorded.
  facts[1].live.objects[key(meshctl::kube::resources::service_accounts, "calico-system", kFed)] = {
      {"metadata",
       {{"name", kFed},
        {"labels", {{"app.kubernetes.io/managed-by", "meshctl"}}},
        {"annotations", {{adopted, "2026-01-02T03:04:05Z"}}}}}};
  std::vector<std::string> warnings;
  auto rendered = meshctl::mesh::plan_render(clusters, facts, JoinOptions{},
                                             meshctl::mesh::Credentials::placeholders, warnings);
  const auto& role = find(rendered[1], "ClusterRole", kFed);
  CHECK_FALSE(role.body["metadata"]["annotations"].value(adopted, "").empty());
  CHECK(find(rendered[1], "ServiceAccount", kFed).body["metadata"]["annotations"][adopted] ==
        "2026-01-02T03:04:05Z");
  CHECK_FALSE(find(rendered[0], "ClusterRole", kFed).body["metadata"].contains("annotations"));
  CHECK_FALSE(find(rendered[0], "ServiceAccount", kFed).body["metadata"].contains("annotations"));
}

TEST_CASE("render_files: one directory per cluster, kustomization in apply order, placeholders explained") {
  auto clusters = two_clusters();
  std::vector<std::string> warnings;
  RenderReport report;
  report.clusters = meshctl::mesh::plan_render(clusters, facts_iad_token_pdx_nothing(), JoinOptions{},
                                               meshctl::mesh::Credentials::placeholders, warnings);
  auto files = meshctl::output::render_files(report, "FILL-COMMAND");
  REQUIRE(files.size() == 22);
  CHECK(files[0].path == "iad/01-serviceaccount-tigera-federation-remote-cluster.yaml");
  CHECK(files[6].path == "iad/07-secret-remote-cluster-pdx.yaml");
  CHECK(files[6].holds_credentials);
  CHECK(files[6].content.find("PLACEHOLDER") != std::string::npos);
  CHECK(files[6].content.find("FILL-COMMAND") != std::string::npos);
  CHECK_FALSE(files[5].holds_credentials);  // the token Secret is filled in the cluster, never in the file
  CHECK(files[10].path == "iad/kustomization.yaml");
  auto at = [&](const char* text) { return files[10].content.find(text); };
  CHECK(at("01-serviceaccount") < at("07-secret-remote-cluster-pdx"));
  CHECK(at("07-secret-remote-cluster-pdx") < at("10-remoteclusterconfiguration-pdx"));
  CHECK(files[0].content.rfind(
            "# Rendered by meshctl render.\napiVersion: \"v1\"\nkind: \"ServiceAccount\"\n", 0) == 0);
  std::string stream = meshctl::output::render_stream(report, "FILL-COMMAND");
  CHECK(stream.find("---\n# cluster: pdx (context ctx-pdx), object 10 of 10\n") != std::string::npos);
}

TEST_CASE("write_render_directory: 0600 for credentials, earlier renders replaced, a foreign file refused") {
  char tmpl[] = "/tmp/meshctl-render-test.XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  std::vector<meshctl::output::RenderedFile> files = {
      {"iad/01-a.yaml", "# Rendered by meshctl render.\na: 1\n", false},
      {"iad/02-secret.yaml", "# Rendered by meshctl render.\nb: 2\n", true},
      {"iad/03-old.yaml", "# Rendered by meshctl render.\nc: 3\n", false}};
  REQUIRE(meshctl::output::write_render_directory(dir, files));
  struct stat st {};
  REQUIRE(stat((dir + "/iad/02-secret.yaml").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(stat((dir + "/iad/01-a.yaml").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);

  files.pop_back();  // a later render without 03: the earlier file goes
  REQUIRE(meshctl::output::write_render_directory(dir, files));
  CHECK_FALSE(meshctl::files::exists(dir + "/iad/03-old.yaml"));

  std::ofstream(dir + "/iad/notes.txt") << "mine\n";
  files[0].content = "# Rendered by meshctl render.\na: changed\n";
  auto refused = meshctl::output::write_render_directory(dir, files);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::precondition);
  CHECK(refused.error().message.find("notes.txt was not written by meshctl render") != std::string::npos);
  CHECK(*meshctl::files::read_file(dir + "/iad/01-a.yaml") == "# Rendered by meshctl render.\na: 1\n");
  std::filesystem::remove_all(dir);
}
