// kube::Client against a local HTTPS server (test_https_server.h) that checks
// what the client sends and scripts failures. The real kube-apiserver tests
// live with the lab; these pin the HTTP behaviour: TLS verification, auth,
// query strings, retries and error mapping.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "kube/certificate.h"
#include "kube/client.h"
#include "kube/http.h"
#include "test_https_server.h"
#include "util/interrupt.h"
#include "util/log.h"

using namespace std::chrono_literals;
using meshctl::Errc;
using meshctl::errc_name;
using meshctl::Secret;
using meshctl::kube::AccessCheck;
using meshctl::kube::ApplyOptions;
using meshctl::kube::AuthKind;
using meshctl::kube::Client;
using meshctl::kube::ClientOptions;
using meshctl::kube::DryRun;
using meshctl::kube::ExecConfig;
using meshctl::kube::Force;
using meshctl::kube::Json;
using meshctl::kube::LogOptions;
using meshctl::kube::Propagation;
using meshctl::kube::ResolvedContext;
using meshctl::kube::resource_path;
using meshctl::kube::ResourceRule;
using meshctl::kube::rules_allow;
using meshctl::test::CertAndKey;
using meshctl::test::TestCa;
using meshctl::test::TestHttpsServer;
using meshctl::test::TestRequest;
using meshctl::test::TestResponse;
namespace resources = meshctl::kube::resources;
namespace fs = std::filesystem;

namespace {

const TestCa& test_ca() {
  static const TestCa ca("meshctl-test-ca");
  return ca;
}

const CertAndKey& localhost_identity() {
  static const CertAndKey identity = test_ca().issue_server({"localhost"}, {"127.0.0.1"});
  return identity;
}

ResolvedContext make_context(const std::string& server, const std::string& ca_pem = test_ca().cert_pem()) {
  ResolvedContext context;
  context.context_name = "iad";
  context.namespace_name = "default";
  context.cluster.name = "iad-cluster";
  context.cluster.server = server;
  context.cluster.ca_pem = ca_pem;
  context.user.name = "iad-admin";
  context.user.kind = AuthKind::token;
  context.user.token = Secret("test-token-0123456789");
  return context;
}

ClientOptions fast_options() {
  ClientOptions options;
  options.connect_timeout = 2s;
  options.request_timeout = 5s;
  options.retry_base_delay = 1ms;
  options.max_retries = 3;
  return options;
}

std::unique_ptr<Client> make_client(const ResolvedContext& context,
                                    const ClientOptions& options = fast_options()) {
  auto client = Client::create(context, options);
  REQUIRE_MESSAGE(client.has_value(), (client ? "" : client.error().message));
  return std::move(*client);
}

TestResponse json_response(int status, const Json& body) {
  TestResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

TestResponse status_response(int status, const std::string& reason, const std::string& message) {
  return json_response(status, {{"kind", "Status"},
                                {"apiVersion", "v1"},
                                {"status", "Failure"},
                                {"reason", reason},
                                {"message", message},
                                {"code", status}});
}

TestResponse ok_object(const TestRequest&) {
  return json_response(200, {{"kind", "Secret"}, {"metadata", {{"name", "x"}}}});
}

// A directory removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "meshctl-kube-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path / name) << content;
    return (path / name).string();
  }
};

}  // namespace

TEST_CASE("resource paths for core, grouped, namespaced and cluster-scoped resources") {
  CHECK(resource_path(resources::secrets, "calico-system", "x") ==
        "/api/v1/namespaces/calico-system/secrets/x");
  CHECK(resource_path(resources::secrets, "calico-system") == "/api/v1/namespaces/calico-system/secrets");
  CHECK(resource_path(resources::namespaces, "", "calico-system") == "/api/v1/namespaces/calico-system");
  CHECK(resource_path(resources::nodes, "ignored", "n1") == "/api/v1/nodes/n1");
  CHECK(resource_path(resources::role_bindings, "ns", "rb") ==
        "/apis/rbac.authorization.k8s.io/v1/namespaces/ns/rolebindings/rb");
  CHECK(resource_path(resources::cluster_roles, "", "cr") ==
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/cr");
  CHECK(resource_path(resources::deployments, "ns") == "/apis/apps/v1/namespaces/ns/deployments");
  CHECK(resource_path(resources::remote_cluster_configurations, "", "pdx") ==
        "/apis/projectcalico.org/v3/remoteclusterconfigurations/pdx");
  CHECK_FALSE(resources::remote_cluster_configurations.namespaced);
  CHECK(resource_path(resources::service_accounts, "ns", "sa") == "/api/v1/namespaces/ns/serviceaccounts/sa");
}

TEST_CASE("url_encode keeps only unreserved characters") {
  CHECK(meshctl::kube::http::url_encode("app=calico-node,tier in (a,b)") ==
        "app%3Dcalico-node%2Ctier%20in%20%28a%2Cb%29");
  CHECK(meshctl::kube::http::url_encode("a.b_c~d-e") == "a.b_c~d-e");
  CHECK(meshctl::kube::http::url_encode("k8s.io/x!=y") == "k8s.io%2Fx%21%3Dy");
}

TEST_CASE("GET verifies the server against the kubeconfig CA and sends token, user agent and accept") {
  TestHttpsServer server(localhost_identity(), ok_object);
  auto client = make_client(make_context(server.url()));
  auto secret = client->get(resources::secrets, "calico-system", "x");
  REQUIRE_MESSAGE(secret.has_value(), (secret ? "" : secret.error().message));
  CHECK((*secret)["metadata"]["name"] == "x");
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "GET");
  CHECK(requests[0].target == "/api/v1/namespaces/calico-system/secrets/x");
  CHECK(requests[0].header("authorization") == "Bearer test-token-0123456789");
  CHECK(requests[0].header("user-agent").rfind("meshctl/", 0) == 0);
  CHECK(requests[0].header("accept").find("application/json") != std::string::npos);
  CHECK(client->context_name() == "iad");
}

TEST_CASE("a server URL with a path prefix keeps the prefix") {
  TestHttpsServer server(localhost_identity(), ok_object);
  auto client = make_client(make_context(server.url() + "/k8s/clusters/c-1/"));
  REQUIRE(client->get(resources::pods, "ns", "p").has_value());
  CHECK(server.requests().at(0).target == "/k8s/clusters/c-1/api/v1/namespaces/ns/pods/p");
}

TEST_CASE("sequential requests reuse one connection, concurrent ones all succeed") {
  TestHttpsServer server(localhost_identity(), ok_object);
  auto client = make_client(make_context(server.url()));
  for (int i = 0; i < 3; ++i)
    REQUIRE(client->get(resources::secrets, "ns", "x").has_value());
  CHECK(server.connections() == 1);

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (!client->get(resources::secrets, "ns", "x"))
          ++failures;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  CHECK(failures == 0);
  CHECK(server.requests().size() == 33);
  CHECK(server.connections() <= 7);
}

TEST_CASE("a server certificate from another CA is a TLS transport error, not retried") {
  TestHttpsServer server(localhost_identity(), ok_object);
  TestCa other_ca("some-other-ca");
  auto client = make_client(make_context(server.url(), other_ca.cert_pem()));
  auto result = client->get(resources::secrets, "calico-system", "x");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::transport_tls);
  CHECK(result.error().message.rfind("iad: GET /api/v1/namespaces/calico-system/secrets/x: TLS: ", 0) == 0);
  CHECK(result.error().hint.find("certificate-authority") != std::string::npos);
  CHECK(result.error().hint.rfind("the server's certificate does not verify against the CA of cluster "
                                  "\"iad-cluster\"",
                                  0) == 0);
  CHECK(server.requests().empty());
  CHECK(server.connections() == 1);
}

TEST_CASE("without a CA the system trust store is used, so a test CA is not trusted") {
  TestHttpsServer server(localhost_identity(), ok_object);
  auto client = make_client(make_context(server.url(), ""));
  auto result = client->get(resources::secrets, "ns", "x");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::transport_tls);
}

TEST_CASE("insecure-skip-tls-verify accepts any server certificate") {
  TestHttpsServer server(localhost_identity(), ok_object);
  auto context = make_context(server.url(), "");
  context.cluster.insecure_skip_tls_verify = true;
  auto client = make_client(context);
  CHECK(client->get(resources::secrets, "ns", "x").has_value());
}

TEST_CASE("tls-server-name: the certificate is checked against that name, not the URL's host") {
  CertAndKey identity = test_ca().issue_server({"api.internal.test"}, {});
  TestHttpsServer server(identity, ok_object);

  auto plain = make_client(make_context(server.url()));
  auto refused = plain->get(resources::secrets, "ns", "x");
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == Errc::transport_tls);

  auto context = make_context(server.url());
  context.cluster.tls_server_name = "api.internal.test";
  auto client = make_client(context);
  auto result = client->get(resources::secrets, "ns", "x");
  REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message));
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].header("host") == "127.0.0.1:" + std::to_string(server.port()));

  context.cluster.tls_server_name = "wrong.internal.test";
  auto wrong = make_client(context)->get(resources::secrets, "ns", "x");
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code == Errc::transport_tls);
}

TEST_CASE("client certificates from the kubeconfig user are presented when the server requires one") {
  TestCa client_ca("meshctl-test-client-ca");
  TestHttpsServer server(localhost_identity(), ok_object, client_ca.cert_pem());

  auto anonymous = make_context(server.url());
  auto without = make_client(anonymous)->get(resources::secrets, "ns", "x");
  REQUIRE_FALSE(without.has_value());
  CHECK(meshctl::is_transport(without.error().code));
  // With TLS 1.3 the server refuses the missing certificate after the client
  // has finished its handshake: the client sees the alert (TLS) or, when its
  // request was already on the way, a broken pipe. Which one is a race.
  CHECK_MESSAGE(
      (without.error().code == Errc::transport_tls || without.error().code == Errc::transport_other),
      without.error().message);

  CertAndKey admin = client_ca.issue_client("kubernetes-admin");
  auto context = make_context(server.url());
  context.user.kind = AuthKind::client_cert;
  context.user.token = Secret();
  context.user.client_cert_pem = admin.cert_pem;
  context.user.client_key_pem = Secret(admin.key_pem);
  auto result = make_client(context)->get(resources::secrets, "ns", "x");
  REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message));
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].client_common_name == "kubernetes-admin");
  CHECK(requests[0].header("authorization").empty());
}

TEST_CASE("basic auth sends username and password") {
  TestHttpsServer server(localhost_identity(), ok_object);
  auto context = make_context(server.url());
  context.user.kind = AuthKind::basic;
  context.user.token = Secret();
  context.user.username = "admin";
  context.user.password = Secret("s3cret");
  REQUIRE(make_client(context)->get(resources::secrets, "ns", "x").has_value());
  CHECK(server.requests().at(0).header("authorization") == "Basic YWRtaW46czNjcmV0");
}

TEST_CASE("429 is retried on GET and POST, honouring Retry-After") {
  std::atomic<int> calls{0};
  TestHttpsServer server(localhost_identity(), [&](const TestRequest&) {
    if (calls++ % 3 < 2) {
      TestResponse busy = status_response(429, "TooManyRequests", "slow down");
      busy.headers.emplace_back("Retry-After", "0");
      return busy;
    }
    return json_response(201, {{"kind", "Secret"}});
  });
  auto client = make_client(make_context(server.url()));
  CHECK(client->get(resources::secrets, "ns", "x").has_value());
  CHECK(server.requests().size() == 3);
  CHECK(client->create_object(resources::secrets, "ns", {{"kind", "Secret"}}).has_value());
  CHECK(server.requests().size() == 6);
}

TEST_CASE("Retry-After is waited for") {
  std::atomic<int> calls{0};
  TestHttpsServer server(localhost_identity(), [&](const TestRequest&) {
    if (calls++ == 0) {
      TestResponse busy = status_response(429, "TooManyRequests", "slow down");
      busy.headers.emplace_back("Retry-After", "1");
      return busy;
    }
    return json_response(200, {{"kind", "Secret"}});
  });
  auto client = make_client(make_context(server.url()));
  auto started = std::chrono::steady_clock::now();
  CHECK(client->get(resources::secrets, "ns", "x").has_value());
  CHECK(std::chrono::steady_clock::now() - started >= 900ms);
}

TEST_CASE("429 on a server-side apply PATCH is retried, and ends as TooManyRequests when it persists") {
  std::atomic<int> calls{0};
  std::atomic<int> busy_answers{1};
  TestHttpsServer server(localhost_identity(), [&](const TestRequest& request) {
    if (calls++ < busy_answers) {
      TestResponse busy =
          status_response(429, "TooManyRequests", "too many requests, please try again later");
      busy.headers.emplace_back("Retry-After", "0");
      return busy;
    }
    return ok_object(request);
  });
  auto client = make_client(make_context(server.url()));
  CHECK(client->apply(resources::secrets, "ns", "x", {{"kind", "Secret"}}, ApplyOptions{}).has_value());
  REQUIRE(server.requests().size() == 2);
  CHECK(server.requests().at(1).method == "PATCH");

  calls = 0;
  busy_answers = 100;
  auto result = client->apply(resources::secrets, "ns", "x", {{"kind", "Secret"}}, ApplyOptions{});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::too_many_requests);
  CHECK(result.error().http_status == 429);
  CHECK(server.requests().size() == 2 + 4);  // one try and max_retries (3) retries
}

TEST_CASE("apply_all sends the applies together and answers each in order; a retry goes alone") {
  // The first attempts must all be at the server before it answers any:
  // apply_all sends them together from the calling thread.
  meshctl::test::Gathering first_attempts(3);
  std::atomic<int> b_calls{0};
  TestHttpsServer server(localhost_identity(), [&](const TestRequest& request) {
    const std::string name = request.path().substr(request.path().rfind('/') + 1);
    if (name != "b" || b_calls++ == 0)
      first_attempts.arrive();
    if (name == "b" && b_calls == 1) {
      TestResponse busy = status_response(429, "TooManyRequests", "too many requests");
      busy.headers.emplace_back("Retry-After", "0");
      return busy;
    }
    if (name == "c")
      return status_response(409, "Conflict", "Apply failed with 1 conflict: conflict with \"kubectl\"");
    return json_response(name == "a" ? 201 : 200, {{"kind", "Secret"}, {"metadata", {{"name", name}}}});
  });
  auto client = make_client(make_context(server.url()));
  const Json body_a = {{"kind", "Secret"}, {"metadata", {{"name", "a"}}}};
  const Json body_b = {{"kind", "Secret"}, {"metadata", {{"name", "b"}}}};
  const Json body_c = {{"kind", "Secret"}, {"metadata", {{"name", "c"}}}};
  ApplyOptions options;
  options.force = Force::yes;
  auto answers = client->apply_all({{&resources::secrets, "ns", "a", &body_a},
                                    {&resources::secrets, "ns", "b", &body_b},
                                    {&resources::secrets, "ns", "c", &body_c}},
                                   options);
  CHECK(first_attempts.met());
  REQUIRE(answers.size() == 3);
  REQUIRE(answers[0].has_value());
  CHECK(answers[0]->created);
  CHECK(answers[0]->object["metadata"]["name"] == "a");
  REQUIRE(answers[1].has_value());  // after its 429, alone
  CHECK_FALSE(answers[1]->created);
  CHECK(answers[1]->object["metadata"]["name"] == "b");
  REQUIRE_FALSE(answers[2].has_value());
  CHECK(answers[2].error().code == Errc::conflict);
  CHECK(answers[2].error().message.find("iad: PATCH /api/v1/namespaces/ns/secrets/c") != std::string::npos);
  const auto requests = server.requests();
  CHECK(requests.size() == 4);
  for (const auto& request : requests) {
    CHECK(request.method == "PATCH");
    CHECK(request.header("content-type") == "application/apply-patch+yaml");
    CHECK(request.query() == "fieldManager=meshctl&force=true");
    CHECK(request.header("authorization") == "Bearer test-token-0123456789");
  }
}

TEST_CASE("a server-side apply is repeated after a 503, a plain PATCH is not") {
  std::atomic<int> calls{0};
  TestHttpsServer server(localhost_identity(), [&](const TestRequest& request) {
    if (calls++ == 0)
      return status_response(503, "ServiceUnavailable", "apiserver is shutting down");
    return ok_object(request);
  });
  auto client = make_client(make_context(server.url()));
  CHECK(client->apply(resources::secrets, "ns", "x", {{"kind", "Secret"}}, ApplyOptions{}).has_value());
  CHECK(server.requests().size() == 2);

  calls = 0;
  auto merge =
      client->request("PATCH", "/api/v1/namespaces/ns/secrets/x", "{}", "application/merge-patch+json");
  REQUIRE_FALSE(merge.has_value());
  CHECK(merge.error().http_status == 503);
  CHECK(server.requests().size() == 3);
}

TEST_CASE("a 429 without Retry-After backs off exponentially") {
  std::atomic<int> calls{0};
  TestHttpsServer server(localhost_identity(), [&](const TestRequest& request) {
    if (calls++ < 2)
      return status_response(429, "TooManyRequests", "slow down");
    return ok_object(request);
  });
  ClientOptions options = fast_options();
  options.retry_base_delay = 200ms;
  auto client = make_client(make_context(server.url()), options);
  auto started = std::chrono::steady_clock::now();
  CHECK(client->get(resources::secrets, "ns", "x").has_value());
  auto waited = std::chrono::steady_clock::now() - started;
  // Equal jitter: at least half of 200 ms, then half of 400 ms.
  CHECK(waited >= 300ms);
  CHECK(waited < 3s);
}

TEST_CASE("wait_for ends at once when interrupted") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest&) {
    return status_response(404, "NotFound", "secrets \"x\" not found");
  });
  auto client = make_client(make_context(server.url()));
  std::thread signaller([] {
    std::this_thread::sleep_for(300ms);
    meshctl::set_interrupted(true);
  });
  auto started = std::chrono::steady_clock::now();
  auto result = client->wait_for(
      resources::secrets, "ns", "x", [](const Json&) { return true; }, 30s);
  auto waited = std::chrono::steady_clock::now() - started;
  signaller.join();
  meshctl::set_interrupted(false);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::interrupted);
  CHECK(waited < 2s);
}

TEST_CASE("wait_for on a server that stopped answering ends with the transport error, not not_ready") {
  std::string server = "https://127.0.0.1:" + std::to_string(meshctl::test::unused_port());
  ClientOptions options = fast_options();
  options.max_retries = 0;
  auto client = make_client(make_context(server), options);
  auto result = client->wait_for(
      resources::secrets, "ns", "x", [](const Json&) { return true; }, 500ms);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::transport_refused);
  CHECK(result.error().message.find("not ready after 0.5s") != std::string::npos);
}

TEST_CASE("503 is retried on GET until it succeeds or retries run out") {
  std::atomic<int> calls{0};
  std::atomic<int> failures_before_success{2};
  TestHttpsServer server(localhost_identity(), [&](const TestRequest& request) {
    if (calls++ < failures_before_success)
      return status_response(503, "ServiceUnavailable", "etcd is busy");
    return ok_object(request);
  });
  auto client = make_client(make_context(server.url()));
  CHECK(client->get(resources::secrets, "ns", "x").has_value());
  CHECK(server.requests().size() == 3);

  calls = 0;
  failures_before_success = 100;
  auto result = client->get(resources::secrets, "ns", "x");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::server_error);
  CHECK(result.error().http_status == 503);
  CHECK(server.requests().size() == 3 + 4);  // one try and max_retries (3) retries
}

TEST_CASE("503 on POST is not retried: the write may have happened") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest&) {
    return status_response(503, "ServiceUnavailable", "busy");
  });
  auto client = make_client(make_context(server.url()));
  auto result = client->create_object(resources::secrets, "ns", {{"kind", "Secret"}});
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::server_error);
  CHECK(server.requests().size() == 1);
  CHECK(result.error().message == "iad: POST /api/v1/namespaces/ns/secrets: ServiceUnavailable: busy");
}

TEST_CASE("a request that takes too long is a transport timeout") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    std::this_thread::sleep_for(700ms);
    return ok_object(request);
  });
  ClientOptions options = fast_options();
  options.request_timeout = 200ms;
  options.max_retries = 0;
  auto client = make_client(make_context(server.url()), options);
  auto result = client->get(resources::secrets, "ns", "x");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::transport_timeout);
  CHECK(result.error().message.rfind("iad: GET /api/v1/namespaces/ns/secrets/x: Timeout: ", 0) == 0);
}

TEST_CASE("nothing listening is connection refused, retried on GET, with a hint naming the server") {
  std::string server = "https://127.0.0.1:" + std::to_string(meshctl::test::unused_port());
  ClientOptions options = fast_options();
  options.max_retries = 1;
  auto client = make_client(make_context(server), options);
  auto result = client->version();
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::transport_refused);
  CHECK(result.error().message.rfind("iad: GET /version: ConnectionRefused: ", 0) == 0);
  CHECK(result.error().hint.find(server) != std::string::npos);
  CHECK(result.error().hint.find("running") != std::string::npos);
}

// DNS failures are covered by the classification table in kube_api_error_test.cpp:
// a real lookup would leave 127.0.0.0/8.

TEST_CASE("a server URL without a scheme is a configuration error") {
  auto client = Client::create(make_context("127.0.0.1:6443"), fast_options());
  REQUIRE_FALSE(client.has_value());
  CHECK(client.error().code == Errc::config);
  CHECK(client.error().message.find("iad") != std::string::npos);
}

TEST_CASE("auth-provider users are refused with the replacement named") {
  auto context = make_context("https://127.0.0.1:6443");
  context.user.kind = AuthKind::auth_provider;
  context.user.auth_provider_name = "gcp";
  auto client = Client::create(context, fast_options());
  REQUIRE_FALSE(client.has_value());
  CHECK(client.error().code == Errc::config);
  CHECK(client.error().hint.find("gke-gcloud-auth-plugin") != std::string::npos);
}

TEST_CASE("API errors name the context, the request and the server's message") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest&) {
    return status_response(403, "Forbidden",
                           "secrets \"x\" is forbidden: User \"bob\" cannot get resource \"secrets\"");
  });
  auto client = make_client(make_context(server.url()));
  auto result = client->get(resources::secrets, "calico-system", "x");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::forbidden);
  CHECK(result.error().message ==
        "iad: GET /api/v1/namespaces/calico-system/secrets/x: Forbidden: secrets \"x\" is forbidden: User "
        "\"bob\" "
        "cannot get resource \"secrets\"");
  CHECK(server.requests().size() == 1);
}

TEST_CASE("server-side apply: PATCH with the apply content type and the query string asked for") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    return json_response(200, Json::parse(request.body));
  });
  auto client = make_client(make_context(server.url()));
  Json object = {{"apiVersion", "projectcalico.org/v3"},
                 {"kind", "RemoteClusterConfiguration"},
                 {"metadata", {{"name", "pdx"}}},
                 {"spec", {{"clusterAccessSecret", {{"name", "pdx"}}}}}};

  auto applied = client->apply(resources::remote_cluster_configurations, "", "pdx", object, ApplyOptions{});
  REQUIRE(applied.has_value());
  CHECK(applied->object == object);
  CHECK_FALSE(applied->created);
  ApplyOptions forced;
  forced.force = Force::yes;
  forced.dry_run = DryRun::yes;
  REQUIRE(client->apply(resources::remote_cluster_configurations, "", "pdx", object, forced).has_value());

  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "PATCH");
  CHECK(requests[0].target ==
        "/apis/projectcalico.org/v3/remoteclusterconfigurations/pdx?fieldManager=meshctl");
  CHECK(requests[0].header("content-type") == "application/apply-patch+yaml");
  CHECK(Json::parse(requests[0].body) == object);
  CHECK(requests[1].target ==
        "/apis/projectcalico.org/v3/remoteclusterconfigurations/"
        "pdx?fieldManager=meshctl&force=true&dryRun=All");
}

TEST_CASE("list encodes the label selector and follows continue tokens") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    bool second = request.query().find("continue=") != std::string::npos;
    Json page = {{"kind", "PodList"},
                 {"metadata", {{"continue", second ? "" : "tok/1"}}},
                 {"items", Json::array({{{"metadata", {{"name", second ? "b" : "a"}}}}})}};
    return json_response(200, page);
  });
  auto client = make_client(make_context(server.url()));
  auto pods = client->list(resources::pods, "calico-system", "k8s-app=calico-node,tier in (a,b)");
  REQUIRE(pods.has_value());
  REQUIRE((*pods)["items"].size() == 2);
  CHECK((*pods)["items"][1]["metadata"]["name"] == "b");
  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].target ==
        "/api/v1/namespaces/calico-system/"
        "pods?limit=500&labelSelector=k8s-app%3Dcalico-node%2Ctier%20in%20%28a%2Cb%29");
  CHECK(requests[1].target == requests[0].target + "&continue=tok%2F1");
}

TEST_CASE("read_all: gets and lists in one go, every page of a list, errors per read") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    if (request.path() == "/apis/rbac.authorization.k8s.io/v1/clusterroles/missing")
      return status_response(404, "NotFound", "clusterroles.rbac.authorization.k8s.io \"missing\" not found");
    if (request.path() == "/apis/rbac.authorization.k8s.io/v1/clusterroles/there")
      return json_response(200, {{"kind", "ClusterRole"}, {"metadata", {{"name", "there"}}}});
    bool second = request.query().find("continue=") != std::string::npos;
    Json page = {{"kind", "SecretList"},
                 {"metadata", {{"continue", second ? "" : "tok/1"}}},
                 {"items", Json::array({{{"metadata", {{"name", second ? "b" : "a"}}}}})}};
    return json_response(200, page);
  });
  auto client = make_client(make_context(server.url()));
  auto answers = client->read_all({{&resources::cluster_roles, "", "there", ""},
                                   {&resources::secrets, "calico-system", "", "app=x"},
                                   {&resources::cluster_roles, "", "missing", ""}});
  REQUIRE(answers.size() == 3);
  REQUIRE(answers[0].has_value());
  CHECK((*answers[0])["metadata"]["name"] == "there");
  REQUIRE(answers[1].has_value());
  REQUIRE((*answers[1])["items"].size() == 2);
  CHECK((*answers[1])["items"][1]["metadata"]["name"] == "b");
  REQUIRE_FALSE(answers[2].has_value());
  CHECK(answers[2].error().code == Errc::not_found);
  CHECK(answers[2].error().message.find("iad: GET /apis/rbac.authorization.k8s.io/v1/clusterroles/missing") !=
        std::string::npos);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 4);  // the list's second page after its first
  CHECK(std::count_if(requests.begin(), requests.end(), [](const TestRequest& r) {
          return r.target ==
                 "/api/v1/namespaces/calico-system/secrets?limit=500&labelSelector=app%3Dx&continue=tok%2F1";
        }) == 1);
}

TEST_CASE(
    "read_all: a metadata-only list asks for PartialObjectMetadataList on every page, other reads do not") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    bool second = request.query().find("continue=") != std::string::npos;
    Json page = {{"kind", "List"},
                 {"metadata", {{"continue", second ? "" : "tok"}}},
                 {"items", Json::array({{{"metadata", {{"name", second ? "node-b" : "node-a"}}}}})}};
    return json_response(200, page);
  });
  auto client = make_client(make_context(server.url()));
  meshctl::kube::ReadItem names_only{&resources::nodes, "", "", ""};
  names_only.metadata_only = true;
  auto answers = client->read_all({names_only, {&resources::pods, "calico-system", "", ""}});
  REQUIRE(answers.size() == 2);
  REQUIRE(answers[0].has_value());
  REQUIRE((*answers[0])["items"].size() == 2);
  CHECK((*answers[0])["items"][1]["metadata"]["name"] == "node-b");
  const std::string metadata_list =
      "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json, */*";
  int node_pages = 0;
  for (const auto& request : server.requests()) {
    if (request.path() == "/api/v1/nodes") {
      ++node_pages;
      CHECK(request.header("accept") == metadata_list);
    } else {
      CHECK(request.header("accept") == "application/json, */*");
    }
  }
  CHECK(node_pages == 2);
}

TEST_CASE("read_all: reads that need another attempt are retried together, not one after another") {
  // Behind a server that fails every first attempt (a 503 here; a frozen
  // server's timeouts in the lab), the retries of a batch must be at the
  // server at the same time, or N reads cost N times the wait.
  std::mutex mutex;
  std::map<std::string, int> calls;
  meshctl::test::Gathering retries(3);
  TestHttpsServer server(localhost_identity(), [&](const TestRequest& request) {
    const std::string name = request.path().substr(request.path().rfind('/') + 1);
    bool first = false;
    {
      std::lock_guard lock(mutex);
      first = calls[name]++ == 0;
    }
    if (first)
      return status_response(503, "ServiceUnavailable", "apiserver is shutting down");
    retries.arrive();
    return json_response(200, {{"kind", "ClusterRole"}, {"metadata", {{"name", name}}}});
  });
  auto client = make_client(make_context(server.url()));
  auto answers = client->read_all({{&resources::cluster_roles, "", "a", ""},
                                   {&resources::cluster_roles, "", "b", ""},
                                   {&resources::cluster_roles, "", "c", ""}});
  CHECK(retries.met());
  REQUIRE(answers.size() == 3);
  for (const auto& answer : answers)
    CHECK(answer.has_value());
  CHECK(server.requests().size() == 6);
}

TEST_CASE("remove: DeleteOptions with the propagation policy; NotFound is success returning false") {
  std::atomic<bool> exists{true};
  TestHttpsServer server(localhost_identity(), [&](const TestRequest&) {
    if (exists.exchange(false))
      return json_response(200, {{"kind", "Status"}, {"status", "Success"}});
    return status_response(404, "NotFound", "secrets \"x\" not found");
  });
  auto client = make_client(make_context(server.url()));
  auto first = client->remove(resources::secrets, "ns", "x", Propagation::foreground);
  REQUIRE(first.has_value());
  CHECK(*first);
  auto second = client->remove(resources::secrets, "ns", "x", Propagation::background, DryRun::yes);
  REQUIRE(second.has_value());
  CHECK_FALSE(*second);

  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "DELETE");
  CHECK(requests[0].target == "/api/v1/namespaces/ns/secrets/x");
  CHECK(Json::parse(requests[0].body)["propagationPolicy"] == "Foreground");
  CHECK(requests[1].target == "/api/v1/namespaces/ns/secrets/x?dryRun=All");
  CHECK(Json::parse(requests[1].body)["propagationPolicy"] == "Background");
}

TEST_CASE("remove reports errors other than NotFound") {
  TestHttpsServer server(localhost_identity(),
                         [](const TestRequest&) { return status_response(403, "Forbidden", "no"); });
  auto result = make_client(make_context(server.url()))->remove(resources::secrets, "ns", "x");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::forbidden);
}

TEST_CASE("wait_for watches the one object and stops when the condition holds") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest&) {
    TestResponse response;
    response.body =
        "{\"type\":\"ADDED\",\"object\":{\"data\":{}}}\n"
        "{\"type\":\"MODIFIED\",\"object\":{\"data\":{\"token\":\"dG9r\"}}}\n"
        "{\"type\":\"MODIFIED\",\"object\":{\"data\":{\"token\":\"later\"}}}\n";
    return response;
  });
  auto client = make_client(make_context(server.url()));
  auto ready = [](const Json& secret) { return !secret["data"].value("token", "").empty(); };
  auto result = client->wait_for(resources::secrets, "ns", "sa-token", ready, 10s);
  REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message));
  CHECK((*result)["data"]["token"] == "dG9r");
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].target ==
        "/api/v1/namespaces/ns/secrets?watch=true&fieldSelector=metadata.name%3Dsa-token&timeoutSeconds=10");
}

TEST_CASE("wait_for polls, through NotFound, when the caller may not watch") {
  std::atomic<int> calls{0};
  TestHttpsServer server(localhost_identity(), [&](const TestRequest& request) {
    if (request.target.find("watch=true") != std::string::npos)
      return status_response(403, "Forbidden", "cannot watch");
    int n = calls++;
    if (n == 0)
      return status_response(404, "NotFound", "not yet");
    return json_response(200, {{"data", n >= 2 ? Json{{"token", "dG9r"}} : Json::object()}});
  });
  auto client = make_client(make_context(server.url()));
  auto ready = [](const Json& secret) { return !secret["data"].value("token", "").empty(); };
  auto result = client->wait_for(resources::secrets, "ns", "sa-token", ready, 10s);
  REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message));
  CHECK(calls == 3);
}

TEST_CASE("wait_for times out with not_ready naming the context and the object") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest&) {
    return json_response(200, {{"data", {}}});
  });
  auto client = make_client(make_context(server.url()));
  auto started = std::chrono::steady_clock::now();
  auto result = client->wait_for(
      resources::secrets, "calico-system", "sa-token",
      [](const Json& s) { return s["data"].contains("token"); }, 400ms);
  auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::not_ready);
  CHECK(result.error().message.rfind("iad: waiting for secrets calico-system/sa-token: not ready after 0.4s",
                                     0) == 0);
  CHECK(elapsed >= 400ms);
  CHECK(elapsed < 3s);
}

TEST_CASE("wait_for stops at once on a permanent error") {
  TestHttpsServer server(localhost_identity(),
                         [](const TestRequest&) { return status_response(400, "BadRequest", "no"); });
  auto result = make_client(make_context(server.url()))
                    ->wait_for(
                        resources::secrets, "ns", "x", [](const Json&) { return true; }, 10s);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::bad_request);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("pod logs and pod proxy paths") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest&) {
    TestResponse response;
    response.body = "line 1\nline 2\n";
    response.content_type = "text/plain";
    return response;
  });
  auto client = make_client(make_context(server.url()));
  LogOptions options;
  options.container = "calico-node";
  options.tail_lines = 100;
  options.since_seconds = 600;
  auto logs = client->pod_logs("calico-system", "calico-node-abc", options);
  REQUIRE(logs.has_value());
  CHECK(*logs == "line 1\nline 2\n");
  auto metrics = client->pod_proxy_get("calico-system", "calico-typha-1", 9093, "/metrics");
  REQUIRE(metrics.has_value());
  CHECK(client->pod_logs("ns", "p", LogOptions{}).has_value());

  auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].target ==
        "/api/v1/namespaces/calico-system/pods/calico-node-abc/log?container=calico-node&tailLines=100&"
        "sinceSeconds=600");
  CHECK(requests[1].target == "/api/v1/namespaces/calico-system/pods/calico-typha-1:9093/proxy/metrics");
  CHECK(requests[2].target == "/api/v1/namespaces/ns/pods/p/log");
}

TEST_CASE("can_i posts a SelfSubjectAccessReview") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    Json review = Json::parse(request.body);
    bool allowed = review["spec"]["resourceAttributes"]["verb"] == "get";
    review["status"] = {{"allowed", allowed}};
    return json_response(201, review);
  });
  auto client = make_client(make_context(server.url()));
  AccessCheck check{"get", "", "secrets", "calico-system", "x", ""};
  auto allowed = client->can_i(check);
  REQUIRE(allowed.has_value());
  CHECK(*allowed);
  check.verb = "delete";
  check.group = "projectcalico.org";
  check.resource = "remoteclusterconfigurations";
  check.namespace_name.clear();
  auto denied = client->can_i(check);
  REQUIRE(denied.has_value());
  CHECK_FALSE(*denied);

  auto requests = server.requests();
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].target == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
  CHECK(requests[0].header("content-type") == "application/json");
  Json first = Json::parse(requests[0].body);
  CHECK(first["kind"] == "SelfSubjectAccessReview");
  CHECK(first["spec"]["resourceAttributes"] ==
        Json{{"verb", "get"}, {"resource", "secrets"}, {"namespace", "calico-system"}, {"name", "x"}});
  CHECK(Json::parse(requests[1].body)["spec"]["resourceAttributes"]["group"] == "projectcalico.org");
}

TEST_CASE("request_token returns the token, registered as a secret, and its expiry") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    Json answer = Json::parse(request.body);
    answer["status"] = {{"token", "eyJhbGciOi.issued-token-value"},
                        {"expirationTimestamp", "2030-01-02T03:04:05Z"}};
    return json_response(201, answer);
  });
  auto client = make_client(make_context(server.url()));
  auto token = client->request_token("calico-system", "meshctl-pdx", std::chrono::hours(24));
  REQUIRE(token.has_value());
  CHECK(token->token.reveal() == "eyJhbGciOi.issued-token-value");
  CHECK(std::chrono::system_clock::to_time_t(token->expiry) == 1893553445);
  CHECK(meshctl::log::redact("token eyJhbGciOi.issued-token-value") == "token <redacted>");
  auto request = server.requests().at(0);
  CHECK(request.target == "/api/v1/namespaces/calico-system/serviceaccounts/meshctl-pdx/token");
  CHECK(Json::parse(request.body)["spec"]["expirationSeconds"] == 86400);
}

TEST_CASE("version") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    if (request.path() == "/version") {
      return json_response(200, {{"major", "1"}, {"minor", "33"}, {"gitVersion", "v1.33.13"}});
    }
    return status_response(404, "NotFound", "the server could not find the requested resource");
  });
  auto client = make_client(make_context(server.url()));
  auto version = client->version();
  REQUIRE(version.has_value());
  CHECK(version->git_version == "v1.33.13");
  CHECK(version->major == "1");
  CHECK(version->minor == "33");
}

TEST_CASE("a 401 with a static token is Unauthorized, with a hint naming the user") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest&) {
    return status_response(401, "Unauthorized", "Unauthorized");
  });
  auto client = make_client(make_context(server.url()));
  auto result = client->get(resources::secrets, "ns", "x");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::unauthorized);
  CHECK(result.error().hint.find("iad-admin") != std::string::npos);
  CHECK(result.error().hint.find("expired") != std::string::npos);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("a 401 for an expired client certificate says it expired, and when") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest&) {
    return status_response(401, "Unauthorized", "Unauthorized");
  });
  auto context = make_context(server.url());
  const auto expired = test_ca().issue_expired_client("expired-admin");
  context.user.kind = AuthKind::client_cert;
  context.user.token = Secret();
  context.user.client_cert_pem = expired.cert_pem;
  context.user.client_key_pem = Secret(expired.key_pem);
  auto result = make_client(context)->get(resources::secrets, "ns", "x");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == Errc::unauthorized);
  // issue_expired_client: notAfter is a day before now.
  const auto day_before = std::chrono::system_clock::now() - std::chrono::hours(24);
  const std::string date = meshctl::kube::format_utc_minute(day_before).substr(0, 10);
  CHECK(result.error().hint.rfind("the client certificate of user \"iad-admin\" expired on " + date, 0) == 0);

  // A certificate still valid keeps the general hint.
  const auto valid = test_ca().issue_client("admin");
  context.user.client_cert_pem = valid.cert_pem;
  context.user.client_key_pem = Secret(valid.key_pem);
  auto again = make_client(context)->get(resources::secrets, "ns", "x");
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().hint.find("may have expired or be invalid") != std::string::npos);
}

TEST_CASE("certificate_not_after reads a PEM certificate's expiry") {
  const auto cert = test_ca().issue_client("admin");
  const auto not_after = meshctl::kube::certificate_not_after(cert.cert_pem);
  REQUIRE(not_after.has_value());
  const auto left = *not_after - std::chrono::system_clock::now();
  CHECK(left > std::chrono::hours(23));
  CHECK(left < std::chrono::hours(25));
  CHECK_FALSE(meshctl::kube::certificate_not_after("not a certificate").has_value());
  CHECK_FALSE(meshctl::kube::certificate_not_after("").has_value());
  CHECK(meshctl::kube::format_utc_minute(std::chrono::system_clock::from_time_t(1577923200)) ==
        "2020-01-02 00:00 UTC");
}

TEST_CASE("a 401 re-reads tokenFile once and retries with the rotated token") {
  TempDir dir;
  std::string token_file = dir.write("token", "rotated-token-abcdefgh\n");
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    if (request.header("authorization") != "Bearer rotated-token-abcdefgh") {
      return status_response(401, "Unauthorized", "Unauthorized");
    }
    return ok_object(request);
  });
  auto context = make_context(server.url());
  context.user.kind = AuthKind::token_file;
  context.user.token = Secret("stale-token-abcdefgh");
  context.user.token_file = token_file;
  auto client = make_client(context);
  auto result = client->create_object(resources::secrets, "ns", {{"kind", "Secret"}});
  REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message));
  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("authorization") == "Bearer stale-token-abcdefgh");
  CHECK(requests[1].header("authorization") == "Bearer rotated-token-abcdefgh");
  // Later requests use the new token straight away.
  REQUIRE(client->get(resources::secrets, "ns", "x").has_value());
  CHECK(server.requests().size() == 3);
}

TEST_CASE("an exec credential is cached, and refreshed once after a 401") {
  TempDir dir;
  // Each run answers with a new token: tok-1, tok-2, ...
  std::string counter = (dir.path / "count").string();
  std::string plugin = dir.write("plugin.sh",
                                 "#!/bin/sh\n"
                                 "n=$(cat '" +
                                     counter +
                                     "' 2>/dev/null || echo 0)\n"
                                     "n=$((n + 1))\n"
                                     "echo $n > '" +
                                     counter +
                                     "'\n"
                                     "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                                     "\"ExecCredential\",\"status\":{\"token\":\"exec-token-%s\"}}' $n\n");
  fs::permissions(plugin, fs::perms::owner_all);
  std::atomic<bool> accept_first{false};
  TestHttpsServer server(localhost_identity(), [&](const TestRequest& request) {
    std::string auth = request.header("authorization");
    if (auth == "Bearer exec-token-2" || (accept_first && auth == "Bearer exec-token-1"))
      return ok_object(request);
    return status_response(401, "Unauthorized", "Unauthorized");
  });
  auto context = make_context(server.url());
  context.user.kind = AuthKind::exec;
  context.user.token = Secret();
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  exec.command = plugin;
  exec.interactive_mode = meshctl::kube::InteractiveMode::never;
  context.user.exec = exec;
  auto client = make_client(context);

  auto result = client->get(resources::secrets, "ns", "x");
  REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message));
  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("authorization") == "Bearer exec-token-1");
  CHECK(requests[1].header("authorization") == "Bearer exec-token-2");
  REQUIRE(client->get(resources::secrets, "ns", "x").has_value());
  CHECK(server.requests().at(2).header("authorization") == "Bearer exec-token-2");  // cached

  // A second 401 after the refresh is reported, not looped on.
  auto context_two = context;
  auto rejecting = make_client(context_two);
  std::ofstream(counter) << "10\n";
  auto rejected = rejecting->get(resources::secrets, "ns", "x");
  REQUIRE_FALSE(rejected.has_value());
  CHECK(rejected.error().code == Errc::unauthorized);
  CHECK(rejected.error().hint.find("exec plugin") != std::string::npos);
}

TEST_CASE("debug logging shows method, path and status but never bodies or tokens") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest&) {
    return json_response(200, {{"kind", "Secret"}, {"data", {{"password", "cmVzcG9uc2Utc2VjcmV0"}}}});
  });
  auto client = make_client(make_context(server.url()));
  TempDir dir;
  std::string captured = (dir.path / "stderr").string();
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  FILE* file = std::fopen(captured.c_str(), "w");
  REQUIRE(file != nullptr);
  ::dup2(::fileno(file), STDERR_FILENO);
  meshctl::log::set_level(meshctl::log::Level::debug);
  auto created =
      client->create_object(resources::secrets, "ns", {{"data", {{"password", "cmVxdWVzdC1zZWNyZXQ="}}}});
  meshctl::log::set_level(meshctl::log::Level::warn);
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::fclose(file);
  REQUIRE(created.has_value());

  std::ifstream in(captured);
  std::stringstream text;
  text << in.rdbuf();
  std::string log = text.str();
  CHECK(log.find("iad: POST /api/v1/namespaces/ns/secrets -> 200") != std::string::npos);
  CHECK(log.find("cmVxdWVzdC1zZWNyZXQ") == std::string::npos);
  CHECK(log.find("cmVzcG9uc2Utc2VjcmV0") == std::string::npos);
  CHECK(log.find("test-token-0123456789") == std::string::npos);
}

TEST_CASE("apply reports a creation (201)") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    return json_response(201, Json::parse(request.body));
  });
  auto client = make_client(make_context(server.url()));
  Json object = {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "x"}}}};
  auto applied = client->apply(resources::service_accounts, "ns", "x", object, ApplyOptions{});
  REQUIRE(applied.has_value());
  CHECK(applied->created);
}

TEST_CASE("rules_review reads a SelfSubjectRulesReview and rules_allow applies RBAC matching") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest& request) {
    Json review = Json::parse(request.body);
    review["status"] = {
        {"incomplete", true},
        {"resourceRules",
         Json::array({{{"verbs", {"get", "list"}}, {"apiGroups", {""}}, {"resources", {"secrets"}}},
                      {{"verbs", {"*"}}, {"apiGroups", {"rbac.authorization.k8s.io"}}, {"resources", {"*"}}},
                      {{"verbs", {"patch"}},
                       {"apiGroups", {""}},
                       {"resources", {"serviceaccounts"}},
                       {"resourceNames", {"only-me"}}},
                      "not a rule"})}};
    return json_response(201, review);
  });
  auto client = make_client(make_context(server.url()));
  auto review = client->rules_review("calico-system");
  REQUIRE(review.has_value());
  CHECK(review->incomplete);
  REQUIRE(review->rules.size() == 3);
  CHECK(Json::parse(server.requests()[0].body)["spec"]["namespace"] == "calico-system");
  CHECK(server.requests()[0].target == "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews");

  const auto& rules = review->rules;
  CHECK(rules_allow(rules, {"list", "", "secrets", "calico-system", "", ""}));
  CHECK_FALSE(rules_allow(rules, {"create", "", "secrets", "calico-system", "", ""}));
  CHECK(rules_allow(rules, {"create", "rbac.authorization.k8s.io", "clusterroles", "", "", ""}));
  CHECK_FALSE(rules_allow(rules, {"create", "rbac.authorization.k8s.io2", "clusterroles", "", "", ""}));
  // resourceNames grant only those names, so never a collection-wide verb.
  CHECK(rules_allow(rules, {"patch", "", "serviceaccounts", "calico-system", "only-me", ""}));
  CHECK_FALSE(rules_allow(rules, {"patch", "", "serviceaccounts", "calico-system", "other", ""}));
  CHECK_FALSE(rules_allow(rules, {"patch", "", "serviceaccounts", "calico-system", "", ""}));
  // A subresource is matched as "resource/subresource".
  std::vector<ResourceRule> logs{{{"get"}, {""}, {"pods/log"}, {}}};
  CHECK(rules_allow(logs, {"get", "", "pods", "ns", "", "log"}));
  CHECK_FALSE(rules_allow(logs, {"get", "", "pods", "ns", "", ""}));
}

TEST_CASE("read_pod_logs hands the log over in pieces and starts the reader over when it sends again") {
  std::atomic<int> calls{0};
  std::string log;
  for (int i = 0; i < 4000; ++i)  // larger than one receive buffer: more than one piece
    log += "2026-03-31 11:40:00.101 [INFO][7] typha/watchercache.go 184: line " + std::to_string(i) + "\n";
  TestHttpsServer server(localhost_identity(), [&](const TestRequest&) {
    if (calls++ == 0)
      return status_response(503, "ServiceUnavailable", "apiserver is shutting down");
    TestResponse response;
    response.content_type = "text/plain";
    response.body = log;
    return response;
  });
  auto client = make_client(make_context(server.url()));
  std::string seen;
  int pieces = 0;
  int restarts = 0;
  auto read = client->read_pod_logs(
      "calico-system", "calico-typha-1", LogOptions{},
      [&](std::string_view text) {
        seen.append(text);
        ++pieces;
      },
      [&] {
        seen.clear();
        ++restarts;
      });
  REQUIRE(read.has_value());
  CHECK(calls == 2);  // a GET whose reader can start over is sent again after a 503
  CHECK(restarts == 1);
  CHECK(pieces > 1);
  CHECK(seen == log);
  CHECK(server.requests()[1].target == "/api/v1/namespaces/calico-system/pods/calico-typha-1/log");
}

TEST_CASE("follow_pod_logs streams until the reader is satisfied, or the log ends") {
  TestHttpsServer server(localhost_identity(), [](const TestRequest&) {
    TestResponse response;
    response.content_type = "text/plain";
    response.body = "line one\nline two\nline three\n";
    return response;
  });
  auto client = make_client(make_context(server.url()));
  LogOptions options;
  options.since_seconds = 7;
  std::string seen;
  auto stop_at_two = [&](std::string_view text) {
    seen.append(text);
    return seen.find("two") == std::string::npos;
  };
  auto never = [] { return false; };
  auto satisfied = client->follow_pod_logs("calico-system", "typha-1", options, stop_at_two,
                                           std::chrono::seconds(5), never);
  REQUIRE(satisfied.has_value());
  CHECK(*satisfied);
  CHECK(server.requests()[0].target ==
        "/api/v1/namespaces/calico-system/pods/typha-1/log?sinceSeconds=7&follow=true");

  std::string all;
  auto read_all = [&](std::string_view text) {
    all.append(text);
    return true;
  };
  auto ended = client->follow_pod_logs("calico-system", "typha-1", LogOptions{}, read_all,
                                       std::chrono::seconds(5), never);
  REQUIRE(ended.has_value());
  CHECK_FALSE(*ended);
  CHECK(all == "line one\nline two\nline three\n");
  CHECK(server.requests()[1].target == "/api/v1/namespaces/calico-system/pods/typha-1/log?follow=true");
}

// libcurl 7.88 (Debian 12) pauses nghttp2 when a DATA frame overflows the
// stream's 16 KiB receive buffer and, once it has handed the rest over,
// forgets to resume it: the END_STREAM on that frame is seen only when more
// bytes come in on the connection. Here one answer does exactly that: 200
// copies of an indexed header (HPACK 0x90, "accept-encoding: gzip, deflate",
// 32 bytes of header text each) plus a 10000-byte body, all in one write,
// overflow the buffer inside the last frame. Without the transport's poke
// the request times out on 7.88; later libcurl versions need no poke.
TEST_CASE("an HTTP/2 answer whose end libcurl held back ends with its body, not at the timeout") {
  using meshctl::test::TestH2Server;
  const std::string body(10000, 'x');
  std::string overflowing_headers(1, '\x88');  // :status 200
  overflowing_headers.append(200, '\x90');
  TestH2Server server(localhost_identity(), [&](int request_number, std::uint32_t stream) {
    if (request_number == 1) {
      return TestH2Server::frame(TestH2Server::kHeaders, TestH2Server::kEndHeaders, stream,
                                 overflowing_headers) +
             TestH2Server::frame(TestH2Server::kData, TestH2Server::kEndStream, stream, body);
    }
    return TestH2Server::frame(TestH2Server::kHeaders, TestH2Server::kEndHeaders, stream, "\x88") +
           TestH2Server::frame(TestH2Server::kData, TestH2Server::kEndStream, stream, "{}");
  });
  meshctl::kube::http::TransportConfig config;
  config.server = server.url();
  config.ca_pem = test_ca().cert_pem();
  config.request_timeout = 5s;
  auto transport = meshctl::kube::http::Transport::create(config);
  REQUIRE(transport.has_value());
  meshctl::kube::http::Request request;
  request.method = "GET";
  request.path_and_query = "/api/v1/namespaces/calico-system/pods/typha-1/log";
  request.accept = "text/plain, */*";
  auto answer = (*transport)->perform(request);
  REQUIRE_MESSAGE(answer.has_value(), answer.error().message);
  CHECK(answer->status == 200);
  CHECK(answer->body == body);
  CHECK(server.requests() <= 2);  // the answer, and at most one poke
}
