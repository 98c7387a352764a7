// Differential test: for each fixture set, every context meshctl resolves must
// match what `kubectl config view --minify --flatten --context X -o json`
// resolves (server, CA, credentials, namespace, exec configuration).
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "kube/kubeconfig.h"
#include "util/base64.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace meshctl;
using namespace meshctl::kube;

namespace {

const std::string kData = MESHCTL_TEST_DATA;

std::string fixture(const std::string& rel) {
  return kData + "/kubeconfig/" + rel;
}

// /usr/bin/kubectl may be the Google Cloud SDK dispatcher, which asks the
// current context's server for its version (running exec plugins) to pick a
// kubectl. The versioned binaries beside it are plain kubectl and work offline.
std::string find_kubectl() {
  if (const char* env = std::getenv("MESHCTL_KUBECTL"))
    return env;
  const fs::path sdk = "/usr/lib/google-cloud-sdk/bin";
  std::string best;
  int best_minor = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(sdk, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("kubectl.1.", 0) != 0)
      continue;
    const int minor = std::atoi(name.c_str() + 10);
    if (minor > best_minor) {
      best_minor = minor;
      best = entry.path().string();
    }
  }
  if (!best.empty())
    return best;
  return fs::exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "";
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs kubectl with KUBECONFIG set and returns its parsed JSON output.
Json kubectl_json(const std::string& kubectl, const std::string& kubeconfig, const std::string& args) {
  const std::string command =
      "KUBECONFIG=" + shell_quote(kubeconfig) + " " + shell_quote(kubectl) + " " + args + " -o json 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  std::array<char, 4096> buffer{};
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;)
    output.append(buffer.data(), n);
  const int status = pclose(pipe);
  INFO("command: " << command << "\noutput: " << output);
  REQUIRE(status == 0);
  Json doc = Json::parse(output, nullptr, false);
  REQUIRE_FALSE(doc.is_discarded());
  return doc;
}

std::string decoded(const Json& object, const char* key) {
  if (!object.contains(key))
    return {};
  auto bytes = base64_decode(object[key].get<std::string>());
  REQUIRE(bytes);
  return *bytes;
}

std::string slurp_trimmed(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

const char* mode_name(InteractiveMode mode) {
  switch (mode) {
    case InteractiveMode::never:
      return "Never";
    case InteractiveMode::if_available:
      return "IfAvailable";
    case InteractiveMode::always:
      return "Always";
  }
  return "";
}

void compare_exec(const Json& want, const ExecConfig& got, const std::string& source_file) {
  CHECK(got.api_version == want.value("apiVersion", ""));
  std::string command = want.value("command", "");
  if (command.find('/') != std::string::npos && command.front() != '/') {
    command = (fs::path(source_file).parent_path() / command).lexically_normal().string();
  }
  CHECK(got.command == command);
  CHECK(got.args == want.value("args", std::vector<std::string>{}));
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& e : want.value("env", Json::array()))
    env.emplace_back(e["name"], e["value"]);
  CHECK(got.env == env);
  CHECK(got.install_hint == want.value("installHint", ""));
  CHECK(got.provide_cluster_info == want.value("provideClusterInfo", false));
  CHECK(std::string(mode_name(got.interactive_mode)) == want.value("interactiveMode", "IfAvailable"));
}

void compare_context(const std::string& kubectl, const std::string& env, const Kubeconfig& mine,
                     const std::string& name) {
  CAPTURE(name);
  const Json view =
      kubectl_json(kubectl, env, "config view --minify --flatten --context " + shell_quote(name));
  auto resolved = mine.resolve(name);
  REQUIRE_MESSAGE(resolved.has_value(), resolved.error().message);
  const ResolvedContext& got = *resolved;

  const Json& context = view["contexts"][0]["context"];
  CHECK(got.namespace_name == context.value("namespace", "default"));

  REQUIRE(view["clusters"].size() == 1);
  CHECK(got.cluster.name == view["clusters"][0]["name"]);
  const Json& cluster = view["clusters"][0]["cluster"];
  CHECK(got.cluster.server == cluster.value("server", ""));
  CHECK(got.cluster.ca_pem == decoded(cluster, "certificate-authority-data"));
  CHECK(got.cluster.insecure_skip_tls_verify == cluster.value("insecure-skip-tls-verify", false));
  CHECK(got.cluster.tls_server_name == cluster.value("tls-server-name", ""));
  CHECK(got.cluster.proxy_url == cluster.value("proxy-url", ""));

  const Json users = view.value("users", Json::array());
  if (users.empty()) {
    CHECK(got.user.kind == AuthKind::none);
    return;
  }
  CHECK(got.user.name == users[0]["name"]);
  const Json& user = users[0]["user"];
  std::string token = user.value("token", "");
  // --flatten leaves tokenFile as written, relative to the file that named it.
  if (token.empty() && user.contains("tokenFile")) {
    const auto path = (fs::path(got.user.source_file).parent_path() / user["tokenFile"].get<std::string>());
    token = slurp_trimmed(path.lexically_normal().string());
  }
  CHECK(got.user.token.reveal() == token);
  CHECK(got.user.client_cert_pem == decoded(user, "client-certificate-data"));
  CHECK(got.user.client_key_pem.reveal() == decoded(user, "client-key-data"));
  CHECK(got.user.username == user.value("username", ""));
  CHECK(got.user.password.reveal() == user.value("password", ""));
  CHECK(got.user.exec.has_value() == user.contains("exec"));
  if (got.user.exec && user.contains("exec"))
    compare_exec(user["exec"], *got.user.exec, got.user.source_file);
}

void compare_all(const std::string& env) {
  const std::string kubectl = find_kubectl();
  if (kubectl.empty()) {
    MESSAGE("kubectl not found; differential test skipped");
    return;
  }
  CAPTURE(env);
  LoadOptions options;
  options.env_kubeconfig = env;
  auto mine = load_kubeconfig(options);
  REQUIRE_MESSAGE(mine.has_value(), mine.error().message);

  const Json full = kubectl_json(kubectl, env, "config view");
  CHECK(mine->current_context() == full.value("current-context", ""));
  std::set<std::string> theirs, ours;
  for (const auto& c : full["contexts"])
    theirs.insert(c["name"].get<std::string>());
  for (const auto& c : mine->contexts())
    ours.insert(c.name);
  CHECK(ours == theirs);
  for (const auto& name : ours)
    compare_context(kubectl, env, *mine, name);
}

}  // namespace

TEST_CASE("kubectl agrees: one file with every credential kind") {
  compare_all(fixture("basic.yaml"));
}

TEST_CASE("kubectl agrees: merged KUBECONFIG list with relative paths and a missing file") {
  compare_all(fixture("merge/a.yaml") + ":" + fixture("merge/missing.yaml") + ":" +
              fixture("merge/nested/b.yaml") + ":" + fixture("merge/c.yaml"));
  compare_all(fixture("merge/nested/b.yaml") + ":" + fixture("merge/a.yaml"));
}

TEST_CASE("kubectl agrees: EKS-style ARNs behind aliases, merged with others") {
  compare_all(fixture("eks/config"));
  compare_all(fixture("eks/config") + ":" + fixture("basic.yaml") + ":" + fixture("merge/a.yaml") + ":" +
              fixture("merge/nested/b.yaml"));
}
