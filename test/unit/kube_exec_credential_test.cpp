#include <doctest/doctest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "kube/exec_credential.h"
#include "util/base64.h"
#include "util/log.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace meshctl;
using namespace meshctl::kube;

namespace {

const std::string kData = MESHCTL_TEST_DATA;
const std::string kPlugin = kData + "/exec-plugins/fake-plugin.sh";
constexpr const char* kV1 = "client.authentication.k8s.io/v1";
constexpr const char* kV1beta1 = "client.authentication.k8s.io/v1beta1";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "meshctl-exec-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const char* name) const { return (path / name).string(); }
};

int runs(const TempDir& dir) {
  std::ifstream in(dir.path / "runs");
  int count = 0;
  for (std::string line; std::getline(in, line);)
    ++count;
  return count;
}

ExecConfig plugin(const std::string& mode, const TempDir& dir, const char* api = kV1) {
  ExecConfig exec;
  exec.api_version = api;
  exec.command = kPlugin;
  exec.args = {mode, api};
  exec.env = {{"PLUGIN_RUNS", dir.file("runs")}};
  exec.interactive_mode = InteractiveMode::never;
  return exec;
}

ClusterEntry cluster() {
  ClusterEntry c;
  c.name = std::string("c");  // not = "c": GCC 12 -O3 warns -Wrestrict on it (GCC bug 105651)
  c.server = "https://api.example:6443";
  c.ca_pem = slurp(kData + "/kubeconfig/certs/test-only-ca.crt");
  c.tls_server_name = "api.internal";
  c.proxy_url = "http://proxy.example:3128";
  return c;
}

Result<ExecCredential> run(const ExecConfig& exec, ExecOptions options = {}) {
  return run_exec_plugin(exec, cluster(), "iad", options);
}

std::string format_time(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace

TEST_CASE("exec plugin answers with a token, v1 and v1beta1") {
  TempDir dir;
  for (const char* api : {kV1, kV1beta1}) {
    CAPTURE(api);
    auto credential = run(plugin("token", dir, api));
    REQUIRE_MESSAGE(credential.has_value(), credential.error().message);
    CHECK(credential->token.reveal() == "meshctl-test-exec-token");
    CHECK(credential->client_cert_pem.empty());
    CHECK_FALSE(credential->expiry.has_value());
  }
  CHECK(runs(dir) == 2);
  CHECK(log::redact("meshctl-test-exec-token") == "<redacted>");
}

TEST_CASE("exec plugin answers with a client certificate and key") {
  TempDir dir;
  auto credential = run(plugin("cert", dir));
  REQUIRE_MESSAGE(credential.has_value(), credential.error().message);
  CHECK(credential->token.empty());
  CHECK(credential->client_cert_pem == slurp(kData + "/kubeconfig/certs/test-only-client.crt"));
  CHECK(credential->client_key_pem.reveal() == slurp(kData + "/kubeconfig/certs/test-only-client.key"));

  auto half = run(plugin("cert-only", dir));
  REQUIRE_FALSE(half);
  CHECK(half.error().message.find("only one of clientCertificateData and clientKeyData") !=
        std::string::npos);
}

TEST_CASE("environment: parent env, exec.env on top, KUBERNETES_EXEC_INFO always") {
  TempDir dir;
  setenv("PLUGIN_TOKEN", "meshctl-test-token-from-parent", 1);
  auto exec = plugin("token", dir);
  exec.env.emplace_back("PLUGIN_INFO", dir.file("info"));
  auto from_parent = run(exec);
  REQUIRE(from_parent);
  CHECK(from_parent->token.reveal() == "meshctl-test-token-from-parent");
  const auto info = nlohmann::json::parse(slurp(dir.file("info")));
  CHECK(info["apiVersion"] == kV1);
  CHECK(info["kind"] == "ExecCredential");
  CHECK(info["spec"]["interactive"] == false);
  CHECK_FALSE(info["spec"].contains("cluster"));

  exec.env.emplace_back("PLUGIN_TOKEN", "meshctl-test-token-from-kubeconfig");
  auto overridden = run(exec);
  REQUIRE(overridden);
  CHECK(overridden->token.reveal() == "meshctl-test-token-from-kubeconfig");
  unsetenv("PLUGIN_TOKEN");
}

TEST_CASE("provideClusterInfo puts the cluster into KUBERNETES_EXEC_INFO") {
  TempDir dir;
  auto exec = plugin("token", dir, kV1beta1);
  exec.provide_cluster_info = true;
  exec.env.emplace_back("PLUGIN_INFO", dir.file("info"));
  REQUIRE(run(exec));
  const auto info = nlohmann::json::parse(slurp(dir.file("info")));
  CHECK(info["apiVersion"] == kV1beta1);
  const auto& c = info["spec"]["cluster"];
  CHECK(c["server"] == "https://api.example:6443");
  CHECK(c["tls-server-name"] == "api.internal");
  CHECK(c["proxy-url"] == "http://proxy.example:3128");
  CHECK(base64_decode(c["certificate-authority-data"].get<std::string>()).value() == cluster().ca_pem);
  CHECK_FALSE(c.contains("insecure-skip-tls-verify"));
}

TEST_CASE("interactive modes: stdin only when interactive, Always refused without a terminal") {
  TempDir dir;
  auto exec = plugin("token", dir);
  exec.env.emplace_back("PLUGIN_STDIN", dir.file("stdin"));
  exec.interactive_mode = InteractiveMode::if_available;
  REQUIRE(run(exec));
  CHECK(slurp(dir.file("stdin")) == "/dev/null\n");

  exec.interactive_mode = InteractiveMode::always;
  auto refused = run(exec);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::credential);
  CHECK(refused.error().message == "context \"iad\": exec plugin \"" + kPlugin +
                                       "\": interactiveMode is Always but standard input is not a terminal");
  CHECK(runs(dir) == 1);  // refused before starting the plugin
}

TEST_CASE("plugin failures are clear errors") {
  TempDir dir;
  SUBCASE("non-zero exit") {
    auto failed = run(plugin("fail", dir));
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == Errc::credential);
    CHECK(failed.error().message.find("failed with exit code 3") != std::string::npos);
    CHECK(failed.error().message.rfind("context \"iad\": exec plugin ", 0) == 0);
    CHECK(failed.error().hint.find("run it by hand") != std::string::npos);
  }
  SUBCASE("missing binary shows installHint") {
    ExecConfig exec = plugin("token", dir);
    exec.command = "meshctl-test-no-such-plugin";
    exec.install_hint = "brew install meshctl-test-no-such-plugin";
    auto missing = run(exec);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message ==
          R"(context "iad": exec plugin "meshctl-test-no-such-plugin": not found in PATH)");
    CHECK(missing.error().hint == "brew install meshctl-test-no-such-plugin");
    exec.command = dir.file("absent");
    CHECK(run(exec).error().message.find("\": not found") != std::string::npos);
  }
  SUBCASE("garbage output is refused without echoing it") {
    auto garbage = run(plugin("garbage", dir));
    REQUIRE_FALSE(garbage);
    CHECK(garbage.error().message.find("not an ExecCredential") != std::string::npos);
    CHECK(garbage.error().message.find("meshctl-test-garbage-secret") == std::string::npos);
    CHECK(garbage.error().hint.find("must print an ExecCredential") != std::string::npos);
    CHECK(garbage.error().hint.find("meshctl-test-garbage-secret") == std::string::npos);
  }
  SUBCASE("answer without status") {
    auto empty = run(plugin("no-status", dir));
    REQUIRE_FALSE(empty);
    CHECK(empty.error().message.find("has no status") != std::string::npos);
  }
  SUBCASE("apiVersion must match the kubeconfig") {
    auto exec = plugin("token", dir, kV1);
    exec.args = {"token", kV1beta1};
    auto mismatch = run(exec);
    REQUIRE_FALSE(mismatch);
    CHECK(mismatch.error().message.find(R"(apiVersion "client.authentication.k8s.io/v1beta1" but the )"
                                        R"(kubeconfig asks for "client.authentication.k8s.io/v1")") !=
          std::string::npos);
  }
  SUBCASE("a hanging plugin is stopped at the timeout") {
    ExecOptions options;
    options.timeout = 300ms;
    const auto start = std::chrono::steady_clock::now();
    auto hung = run(plugin("hang", dir), options);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(hung);
    CHECK(hung.error().message.find("did not finish within 300ms and was stopped") != std::string::npos);
    CHECK(hung.error().hint.find("interactiveMode IfAvailable and a terminal") != std::string::npos);
    CHECK(elapsed < 5s);
  }
}

TEST_CASE("ExecCredentialSource caches until shortly before expiry") {
  TempDir dir;
  SUBCASE("far expiry: cached; force_refresh runs again") {
    auto exec = plugin("token", dir);
    exec.env.emplace_back("PLUGIN_EXPIRY", format_time(std::chrono::system_clock::now() + 1h));
    ExecCredentialSource source(exec, cluster(), "iad", {});
    auto first = source.get(false);
    REQUIRE(first);
    REQUIRE(first->expiry);
    CHECK(*first->expiry > std::chrono::system_clock::now() + 59min);
    REQUIRE(source.get(false));
    CHECK(runs(dir) == 1);
    REQUIRE(source.get(true));
    CHECK(runs(dir) == 2);
  }
  SUBCASE("no expiry: cached until forced") {
    ExecCredentialSource source(plugin("token", dir), cluster(), "iad", {});
    REQUIRE(source.get(false));
    REQUIRE(source.get(false));
    CHECK(runs(dir) == 1);
  }
  SUBCASE("expired or about to expire: runs each time") {
    for (auto offset : {-1h, std::chrono::hours(0)}) {
      auto exec = plugin("token", dir);
      exec.env.emplace_back("PLUGIN_EXPIRY", format_time(std::chrono::system_clock::now() + offset + 2s));
      ExecCredentialSource source(exec, cluster(), "iad", {});
      REQUIRE(source.get(false));
      REQUIRE(source.get(false));
    }
    CHECK(runs(dir) == 4);
  }
  SUBCASE("a failure answers for the hold") {
    ExecOptions options;
    options.failure_hold = 1h;
    ExecCredentialSource source(plugin("fail", dir), cluster(), "iad", options);
    auto first = source.get(false);
    REQUIRE_FALSE(first);
    auto second = source.get(true);
    REQUIRE_FALSE(second);
    CHECK(second.error().message == first.error().message);
    CHECK(runs(dir) == 1);
  }
  SUBCASE("after the hold the plugin runs again") {
    ExecOptions options;
    options.failure_hold = 0ms;
    ExecCredentialSource source(plugin("fail", dir), cluster(), "iad", options);
    CHECK_FALSE(source.get(false));
    CHECK_FALSE(source.get(false));
    CHECK(runs(dir) == 2);
  }
  SUBCASE("requests sent together share one run of a plugin that hangs") {
    ExecOptions options;
    options.timeout = 1s;
    ExecCredentialSource source(plugin("hang", dir), cluster(), "iad", options);
    std::vector<std::thread> callers;
    std::atomic<int> failed{0};
    for (int i = 0; i < 8; ++i)
      callers.emplace_back([&] { failed += source.get(false) ? 0 : 1; });
    for (auto& t : callers)
      t.join();
    CHECK(failed == 8);
    CHECK(runs(dir) == 1);
  }
}

TEST_CASE("RFC 3339 timestamps") {
  using namespace std::chrono;
  const auto epoch_plus = [](seconds s) {
    return system_clock::time_point(duration_cast<system_clock::duration>(s));
  };
  CHECK(parse_rfc3339("1970-01-01T00:00:10Z") == epoch_plus(10s));
  CHECK(parse_rfc3339("2024-02-29T12:00:00Z") == epoch_plus(1709208000s));
  CHECK(parse_rfc3339("2024-02-29T14:30:00+02:30") == epoch_plus(1709208000s));
  CHECK(parse_rfc3339("2024-02-29T11:00:00-01:00") == epoch_plus(1709208000s));
  const auto fraction = parse_rfc3339("1970-01-01T00:00:01.5Z");
  REQUIRE(fraction);
  CHECK(*fraction - epoch_plus(1s) == milliseconds(500));
  CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-01-01 00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-01-01T00:00:00"));
  CHECK_FALSE(parse_rfc3339("2024-01-01T00:00:00.Z"));
  CHECK_FALSE(parse_rfc3339("2024-01-01T25:00:00Z"));
  CHECK_FALSE(parse_rfc3339(""));
  auto bad = parse_exec_credential(
      R"({"apiVersion":"v","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"soon"}})",
      "v", "p: ");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == R"(p: expirationTimestamp "soon" is not an RFC 3339 time)");
}
