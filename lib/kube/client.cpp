#include "kube/client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "kube/certificate.h"
#include "kube/fields.h"
#include "kube/http.h"
#include "util/interrupt.h"
#include "util/log.h"

#ifndef MESHCTL_VERSION
#define MESHCTL_VERSION "dev"
#endif

namespace meshctl::kube {

namespace resources {
const Resource namespaces{"", "v1", "namespaces", false};
const Resource service_accounts{"", "v1", "serviceaccounts", true};
const Resource secrets{"", "v1", "secrets", true};
const Resource pods{"", "v1", "pods", true};
const Resource nodes{"", "v1", "nodes", false};
const Resource services{"", "v1", "services", true};
const Resource endpoints{"", "v1", "endpoints", true};
const Resource cluster_roles{"rbac.authorization.k8s.io", "v1", "clusterroles", false};
const Resource cluster_role_bindings{"rbac.authorization.k8s.io", "v1", "clusterrolebindings", false};
const Resource roles{"rbac.authorization.k8s.io", "v1", "roles", true};
const Resource role_bindings{"rbac.authorization.k8s.io", "v1", "rolebindings", true};
const Resource deployments{"apps", "v1", "deployments", true};
const Resource remote_cluster_configurations{"projectcalico.org", "v3", "remoteclusterconfigurations", false};
// Calico's pools through its API (API server or native v3 CRDs), and where
// only the v1 CRDs serve them, as calicoctl writes them then.
const Resource ip_pools{"projectcalico.org", "v3", "ippools", false};
const Resource crd_ip_pools{"crd.projectcalico.org", "v1", "ippools", false};
const Resource service_cidrs{"networking.k8s.io", "v1", "servicecidrs", false};
}  // namespace resources

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Retries wait base * 2^attempt (with jitter), never longer than this, and a
// server's Retry-After is honoured up to the same bound.
constexpr milliseconds max_retry_delay{std::chrono::seconds(10)};
constexpr int list_page_size = 500;

std::string api_root(const std::string& group, const std::string& version) {
  return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

bool is_transient(Errc code) {
  return code == Errc::transport_refused || code == Errc::transport_timeout ||
         code == Errc::transport_other || code == Errc::too_many_requests || code == Errc::server_error ||
         code == Errc::server_timeout;
}

// DNS and TLS verification failures do not heal by retrying a moment later.
bool retryable_transport(Errc code) {
  return code == Errc::transport_refused || code == Errc::transport_timeout || code == Errc::transport_other;
}

milliseconds jittered_backoff(milliseconds base, int attempt) {
  auto shift = std::min(attempt, 16);
  auto delay = std::min<milliseconds>(base * (1LL << shift), max_retry_delay);
  thread_local std::mt19937_64 random{std::random_device{}()};
  // "Equal jitter": half fixed, half random, so concurrent callers spread out.
  std::uniform_int_distribution<long long> spread(delay.count() / 2, delay.count());
  return milliseconds(spread(random));
}

std::string format_duration(milliseconds d) {
  if (d.count() % 1000 == 0)
    return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{:g}s", static_cast<double>(d.count()) / 1000.0);
}

std::string object_name(const Resource& r, const std::string& ns, const std::string& name) {
  return r.namespaced && !ns.empty() ? fmt::format("{} {}/{}", r.plural, ns, name)
                                     : fmt::format("{} {}", r.plural, name);
}

std::string trim(std::string text) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  return text;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Result<Json> parse_json(const HttpResponse& response, const std::string& what) {
  auto json = parse_api_answer(response.body);
  if (json.is_discarded() || !json.is_object()) {
    return Error(Errc::api_other, fmt::format("{}: the answer is not a JSON object", what),
                 "is the server URL a Kubernetes API server?");
  }
  return json;
}

std::string transport_hint(Errc code, const std::string& detail, const ClusterEntry& cluster) {
  // libcurl says "SSL certificate problem: ..." when the server's certificate
  // does not verify: then it is the CA side, not the client certificate.
  if (code == Errc::transport_tls && detail.find("certificate problem") != std::string::npos) {
    return fmt::format(
        "the server's certificate does not verify against the CA of cluster \"{}\": fix "
        "certificate-authority / certificate-authority-data (or fetch the kubeconfig again)",
        cluster.name);
  }
  switch (code) {
    case Errc::transport_dns:
      return fmt::format("the host in server {} (cluster \"{}\") does not resolve; is the server URL right?",
                         cluster.server, cluster.name);
    case Errc::transport_refused:
      return fmt::format("is the API server running, and is the server URL {} (cluster \"{}\") right?",
                         cluster.server, cluster.name);
    case Errc::transport_tls:
      return fmt::format(
          "the TLS handshake failed: the server's certificate may not match the CA of cluster \"{}\" (check "
          "certificate-authority / certificate-authority-data and tls-server-name), or the server refused "
          "the "
          "client certificate",
          cluster.name);
    case Errc::transport_timeout:
      return fmt::format("the API server at {} did not answer in time; check the network, VPN or proxy",
                         cluster.server);
    default:
      return {};
  }
}

}  // namespace

std::string resource_path(const Resource& r, const std::string& ns, const std::string& name) {
  std::string path = api_root(r.group, r.version);
  if (r.namespaced && !ns.empty())
    path += "/namespaces/" + http::url_encode(ns);
  path += "/" + r.plural;
  if (!name.empty())
    path += "/" + http::url_encode(name);
  return path;
}

struct Client::Impl {
  ResolvedContext context;
  ClientOptions options;
  std::unique_ptr<http::Transport> transport;
  std::unique_ptr<ExecCredentialSource> exec;
  std::mutex token_mutex;
  Secret token;  // static token, or the latest content of tokenFile

  // Where one request stands across its attempts.
  struct Attempts {
    std::string what;  // "context: VERB path", for logs and errors
    bool idempotent = false;
    int retries = 0;
    bool reauthenticated = false;
    bool force_refresh = false;
    milliseconds pause{0};  // before the next attempt
  };

  Status add_credentials(http::Request& request, bool force_refresh);
  bool refresh_after_unauthorized(bool& force_exec_refresh);
  Attempts attempts_for(const http::Request& request) const;
  // The answer to one attempt, or nullopt when another should follow (after
  // attempts.pause).
  std::optional<Result<HttpResponse>> judge(Result<http::Response> result, long long elapsed_ms,
                                            Attempts& attempts);
  Result<HttpResponse> keep_sending(http::Request& request, Attempts& attempts);
  Result<HttpResponse> send(http::Request request);
  std::vector<Result<HttpResponse>> send_all(std::vector<http::Request> requests);
  Error transport_error(const Error& failure, const std::string& what) const;
  std::string unauthorized_hint() const;
};

Status Client::Impl::add_credentials(http::Request& request, bool force_refresh) {
  const UserEntry& user = context.user;
  if (!user.client_cert_pem.empty()) {
    request.client_cert_pem = user.client_cert_pem;
    request.client_key_pem = user.client_key_pem;
  }
  if (!user.username.empty()) {
    request.username = user.username;
    request.password = user.password;
  }
  if (exec) {
    TRY_ASSIGN(ExecCredential credential, exec->get(force_refresh));
    log::register_secret(credential.token.reveal());
    log::register_secret(credential.client_key_pem.reveal());
    request.bearer_token = credential.token;
    if (!credential.client_cert_pem.empty()) {
      request.client_cert_pem = credential.client_cert_pem;
      request.client_key_pem = credential.client_key_pem;
    }
    return {};
  }
  std::lock_guard lock(token_mutex);
  request.bearer_token = token;
  return {};
}

// After a 401: may a retry succeed with other credentials? An exec plugin is run
// again; a tokenFile is read again (it may have been rotated, as projected
// service account tokens are).
bool Client::Impl::refresh_after_unauthorized(bool& force_exec_refresh) {
  if (exec) {
    force_exec_refresh = true;
    return true;
  }
  if (context.user.token_file.empty())
    return false;
  auto content = read_file(context.user.token_file);
  if (!content)
    return false;
  Secret fresh(trim(*content));
  log::register_secret(fresh.reveal());
  std::lock_guard lock(token_mutex);
  if (fresh.empty() || fresh == token)
    return false;
  token = std::move(fresh);
  return true;
}

std::string Client::Impl::unauthorized_hint() const {
  const UserEntry& user = context.user;
  // The server does not say why it refused a certificate; an expired one is the
  // usual reason, and the certificate itself tells.
  if (!user.exec && !user.client_cert_pem.empty()) {
    const auto not_after = certificate_not_after(user.client_cert_pem);
    if (not_after && *not_after < std::chrono::system_clock::now()) {
      return fmt::format(
          "the client certificate of user \"{}\" expired on {}; get a new one (for cloud clusters, fetch the "
          "credentials again) and update client-certificate(-data) and client-key(-data)",
          user.name, format_utc_minute(*not_after));
    }
  }
  std::string how = auth_kind_name(user.kind);
  if (user.exec)
    how = fmt::format("exec plugin {}", user.exec->command);
  return fmt::format(
      "the API server rejected the credentials of user \"{}\" ({}): they may have expired or be invalid; "
      "refresh them (for cloud clusters, log in again)",
      user.name, how);
}

Error Client::Impl::transport_error(const Error& failure, const std::string& what) const {
  return Error(failure.code, fmt::format("{}: {}: {}", what, errc_name(failure.code), failure.message),
               transport_hint(failure.code, failure.message, context.cluster));
}

Client::Impl::Attempts Client::Impl::attempts_for(const http::Request& request) const {
  Attempts out;
  out.what = fmt::format("{}: {} {}", context.context_name, request.method, request.path_and_query);
  // Only idempotent requests are repeated after a 5xx or a transport failure: a
  // write may have been applied before the answer was lost. A 429 means the
  // request was not processed, so any verb may be repeated. Access and token
  // reviews are POSTs that change nothing, and a server-side apply sent again
  // yields the same object (e.g. across "503 apiserver is shutting down").
  const bool review = request.path_and_query.rfind("/apis/authorization.k8s.io/", 0) == 0 ||
                      request.path_and_query.rfind("/apis/authentication.k8s.io/", 0) == 0;
  const bool server_side_apply =
      request.method == "PATCH" && request.content_type == "application/apply-patch+yaml";
  // A stream may already have handed data over; repeating it would repeat
  // that, unless its reader starts over.
  out.idempotent = (request.method == "GET" || request.method == "HEAD" || review || server_side_apply) &&
                   (!request.on_body || request.on_restart);
  return out;
}

std::optional<Result<HttpResponse>> Client::Impl::judge(Result<http::Response> result, long long elapsed_ms,
                                                        Attempts& a) {
  if (!result) {
    Errc code = result.error().code;
    log::debug("{} -> {} after {}ms: {}", a.what, errc_name(code), elapsed_ms, result.error().message);
    if (a.idempotent && retryable_transport(code) && a.retries < options.max_retries) {
      a.pause = jittered_backoff(options.retry_base_delay, a.retries++);
      return std::nullopt;
    }
    return transport_error(result.error(), a.what);
  }
  http::Response& response = *result;
  log::debug("{} -> {} in {}ms", a.what, response.status, elapsed_ms);
  if (response.status >= 200 && response.status < 300) {
    return HttpResponse{response.status, std::move(response.body), std::move(response.content_type)};
  }
  if (response.status == 401 && !a.reauthenticated && refresh_after_unauthorized(a.force_refresh)) {
    a.reauthenticated = true;
    a.pause = milliseconds(0);
    return std::nullopt;
  }
  if (response.status == 429 && a.retries < options.max_retries) {
    a.pause = response.retry_after ? std::min<milliseconds>(*response.retry_after, max_retry_delay)
                                   : jittered_backoff(options.retry_base_delay, a.retries);
    ++a.retries;
    return std::nullopt;
  }
  if (response.status >= 500 && a.idempotent && a.retries < options.max_retries) {
    a.pause = jittered_backoff(options.retry_base_delay, a.retries++);
    return std::nullopt;
  }
  Error error = decode_api_error(response.status, response.body, a.what);
  if (error.code == Errc::unauthorized)
    error.hint = unauthorized_hint();
  return Result<HttpResponse>(std::move(error));
}

Result<HttpResponse> Client::Impl::keep_sending(http::Request& request, Attempts& attempts) {
  for (bool again = false;; again = true) {
    if (again && request.on_restart)
      request.on_restart();
    TRY(add_credentials(request, attempts.force_refresh));
    attempts.force_refresh = false;
    auto started = Clock::now();
    auto result = transport->perform(request);
    auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
    if (auto answer = judge(std::move(result), elapsed, attempts))
      return std::move(*answer);
    std::this_thread::sleep_for(attempts.pause);
  }
}

Result<HttpResponse> Client::Impl::send(http::Request request) {
  Attempts attempts = attempts_for(request);
  return keep_sending(request, attempts);
}

// Every attempt goes out together with the others of its round: the
// requests that need another attempt (a retry, fresh credentials) are sent
// again together after the longest of their pauses, so that e.g. reads of a
// frozen server time out side by side, not one after another.
std::vector<Result<HttpResponse>> Client::Impl::send_all(std::vector<http::Request> requests) {
  std::vector<Attempts> attempts;
  std::vector<std::optional<Result<HttpResponse>>> answers(requests.size());
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    attempts.push_back(attempts_for(requests[i]));
    pending.push_back(i);
  }
  for (bool again = false; !pending.empty(); again = true) {
    std::vector<http::Request> round;
    std::vector<std::size_t> sent;  // index in `requests` of each of `round`
    for (std::size_t i : pending) {
      if (again && requests[i].on_restart)
        requests[i].on_restart();
      if (auto added = add_credentials(requests[i], attempts[i].force_refresh); !added) {
        answers[i] = added.error();
        continue;
      }
      attempts[i].force_refresh = false;
      round.push_back(requests[i]);
      sent.push_back(i);
    }
    auto started = Clock::now();
    auto results = transport->perform_all(round);
    auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
    pending.clear();
    milliseconds pause{0};
    for (std::size_t k = 0; k < sent.size(); ++k) {
      const std::size_t i = sent[k];
      answers[i] = judge(std::move(results[k]), elapsed, attempts[i]);
      if (!answers[i]) {
        pending.push_back(i);
        pause = std::max(pause, attempts[i].pause);
      }
    }
    if (!pending.empty())
      std::this_thread::sleep_for(pause);
  }
  std::vector<Result<HttpResponse>> out;
  for (auto& answer : answers)
    out.push_back(std::move(*answer));
  return out;
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::create(const ResolvedContext& context, const ClientOptions& options) {
  const UserEntry& user = context.user;
  if (context.cluster.server.empty()) {
    return Error(Errc::config, fmt::format("context \"{}\": cluster \"{}\" has no server",
                                           context.context_name, context.cluster.name));
  }
  if (user.kind == AuthKind::auth_provider) {
    return Error(
        Errc::config,
        fmt::format("context \"{}\": user \"{}\" uses auth-provider \"{}\", which client-go removed",
                    context.context_name, user.name, user.auth_provider_name),
        "use the exec credential plugin instead (gke-gcloud-auth-plugin for GKE, kubelogin for Azure)");
  }
  if (user.kind == AuthKind::exec && !user.exec) {
    return Error(Errc::config, fmt::format("context \"{}\": user \"{}\" has no exec configuration",
                                           context.context_name, user.name));
  }

  http::TransportConfig config;
  config.server = context.cluster.server;
  config.ca_pem = context.cluster.ca_pem;
  config.insecure_skip_tls_verify = context.cluster.insecure_skip_tls_verify;
  config.tls_server_name = context.cluster.tls_server_name;
  config.proxy_url = context.cluster.proxy_url;
  config.connect_timeout = options.connect_timeout;
  config.request_timeout = options.request_timeout;
  config.user_agent = options.user_agent;
  // The default "meshctl" becomes "meshctl/<version>"; a caller's own
  // product/version string is kept as it is.
  if (config.user_agent.find('/') == std::string::npos)
    config.user_agent += "/" MESHCTL_VERSION;
  auto transport = http::Transport::create(std::move(config));
  if (!transport)
    return transport.error().wrap(fmt::format("context \"{}\"", context.context_name));

  auto impl = std::make_unique<Impl>();
  impl->context = context;
  impl->options = options;
  impl->transport = std::move(*transport);
  impl->token = user.token;
  log::register_secret(user.token.reveal());
  log::register_secret(user.client_key_pem.reveal());
  log::register_secret(user.password.reveal());
  if (user.kind == AuthKind::exec) {
    impl->exec = std::make_unique<ExecCredentialSource>(*user.exec, context.cluster, context.context_name,
                                                        options.exec);
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

const std::string& Client::context_name() const {
  return impl_->context.context_name;
}
const ResolvedContext& Client::context() const {
  return impl_->context;
}

namespace {

constexpr const char* kAcceptJson = "application/json, */*";
// Table-style negotiation as kubectl and client-go's metadata client do it,
// with plain JSON as the fallback for servers that cannot.
constexpr const char* kAcceptMetadataList =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json, */*";

http::Request plain_request(const std::string& method, const std::string& path_and_query,
                            const std::string& body, const std::string& content_type,
                            const std::string& accept = kAcceptJson) {
  http::Request request;
  request.method = method;
  request.path_and_query = path_and_query;
  request.body = body;
  request.content_type = content_type;
  request.accept = accept;
  return request;
}

}  // namespace

Result<HttpResponse> Client::request(const std::string& method, const std::string& path_and_query,
                                     const std::string& body, const std::string& content_type) {
  return impl_->send(plain_request(method, path_and_query, body, content_type));
}

namespace {

Result<Json> send_json(Client& client, const std::string& method, const std::string& path, const Json* body,
                       const std::string& content_type = "application/json") {
  std::string text = body != nullptr ? body->dump() : std::string();
  TRY_ASSIGN(HttpResponse response, client.request(method, path, text, body != nullptr ? content_type : ""));
  return parse_json(response, fmt::format("{}: {} {}", client.context_name(), method, path));
}

}  // namespace

Result<Json> Client::get(const Resource& r, const std::string& ns, const std::string& name) {
  return send_json(*this, "GET", resource_path(r, ns, name), nullptr);
}

namespace {

std::string list_path(const Resource& r, const std::string& ns, const std::string& label_selector,
                      const std::string& field_selector) {
  // Pages through large collections so one answer never has to hold them all.
  std::string base = fmt::format("{}?limit={}", resource_path(r, ns), list_page_size);
  if (!label_selector.empty())
    base += "&labelSelector=" + http::url_encode(label_selector);
  if (!field_selector.empty())
    base += "&fieldSelector=" + http::url_encode(field_selector);
  return base;
}

}  // namespace

Status Client::follow_pages(Json& all, const std::string& base, const std::string& accept) {
  if (!all.contains("items") || !all["items"].is_array())
    all["items"] = Json::array();
  for (;;) {
    const Json& metadata = all.contains("metadata") && all["metadata"].is_object() ? all["metadata"] : Json();
    if (!metadata.contains("continue") || !metadata["continue"].is_string())
      break;
    std::string next = metadata["continue"].get<std::string>();
    if (next.empty())
      break;
    const std::string path = base + "&continue=" + http::url_encode(next);
    TRY_ASSIGN(HttpResponse answer, impl_->send(plain_request("GET", path, "", "", accept)));
    TRY_ASSIGN(Json page, parse_json(answer, fmt::format("{}: GET {}", context_name(), path)));
    if (page.contains("items") && page["items"].is_array()) {
      for (auto& item : page["items"])
        all["items"].push_back(std::move(item));
    }
    all["metadata"] =
        page.contains("metadata") && page["metadata"].is_object() ? page["metadata"] : Json::object();
  }
  return {};
}

Result<Json> Client::list(const Resource& r, const std::string& ns, const std::string& label_selector,
                          const std::string& field_selector) {
  const std::string base = list_path(r, ns, label_selector, field_selector);
  TRY_ASSIGN(Json all, send_json(*this, "GET", base, nullptr));
  TRY(follow_pages(all, base, kAcceptJson));
  return all;
}

namespace {

const char* accept_for(const ReadItem& item) {
  return item.name.empty() && item.metadata_only ? kAcceptMetadataList : kAcceptJson;
}

}  // namespace

Result<Json> Client::read_answer(Result<HttpResponse> response, const std::string& path,
                                 const ReadItem& item) {
  TRY(response);
  TRY_ASSIGN(Json answer, parse_json(*response, fmt::format("{}: GET {}", context_name(), path)));
  if (item.name.empty())
    TRY(follow_pages(answer, path, accept_for(item)));
  return answer;
}

std::vector<Result<Json>> Client::read_all(const std::vector<ReadItem>& items) {
  std::vector<std::string> paths;
  std::vector<http::Request> requests;
  for (const auto& item : items) {
    paths.push_back(item.name.empty() ? list_path(*item.resource, item.ns, item.label_selector, "")
                                      : resource_path(*item.resource, item.ns, item.name));
    requests.push_back(plain_request("GET", paths.back(), "", "", accept_for(item)));
  }
  auto responses = impl_->send_all(std::move(requests));
  std::vector<Result<Json>> out;
  for (std::size_t i = 0; i < responses.size(); ++i)
    out.push_back(read_answer(std::move(responses[i]), paths[i], items[i]));
  return out;
}

Result<Json> Client::create_object(const Resource& r, const std::string& ns, const Json& body) {
  return send_json(*this, "POST", resource_path(r, ns), &body);
}

namespace {

std::string write_query(const std::string& field_manager, DryRun dry_run) {
  std::string query = "?fieldManager=" + http::url_encode(field_manager);
  if (dry_run == DryRun::yes)
    query += "&dryRun=All";
  return query;
}

}  // namespace

Result<Json> Client::create_object(const Resource& r, const std::string& ns, const Json& body,
                                   const std::string& field_manager, DryRun dry_run) {
  return send_json(*this, "POST", resource_path(r, ns) + write_query(field_manager, dry_run), &body);
}

Result<Json> Client::update_object(const Resource& r, const std::string& ns, const std::string& name,
                                   const Json& body, const std::string& field_manager, DryRun dry_run) {
  return send_json(*this, "PUT", resource_path(r, ns, name) + write_query(field_manager, dry_run), &body);
}

namespace {

std::string apply_path(const Resource& r, const std::string& ns, const std::string& name,
                       const ApplyOptions& options) {
  std::string path =
      fmt::format("{}?fieldManager={}", resource_path(r, ns, name), http::url_encode(options.field_manager));
  if (options.force == Force::yes)
    path += "&force=true";
  if (options.dry_run == DryRun::yes)
    path += "&dryRun=All";
  return path;
}

constexpr const char* kApplyPatch = "application/apply-patch+yaml";

}  // namespace

Result<Applied> Client::applied(Result<HttpResponse> response, const std::string& path) const {
  TRY(response);
  TRY_ASSIGN(Json object, parse_json(*response, fmt::format("{}: PATCH {}", context_name(), path)));
  return Applied{std::move(object), response->status == 201};
}

Result<Applied> Client::apply(const Resource& r, const std::string& ns, const std::string& name,
                              const Json& body, const ApplyOptions& options) {
  const std::string path = apply_path(r, ns, name, options);
  return applied(request("PATCH", path, body.dump(), kApplyPatch), path);
}

std::vector<Result<Applied>> Client::apply_all(const std::vector<ApplyItem>& items,
                                               const ApplyOptions& options) {
  std::vector<std::string> paths;
  std::vector<http::Request> requests;
  for (const auto& item : items) {
    paths.push_back(apply_path(*item.resource, item.ns, item.name, options));
    requests.push_back(plain_request("PATCH", paths.back(), item.body->dump(), kApplyPatch));
  }
  auto responses = impl_->send_all(std::move(requests));
  std::vector<Result<Applied>> out;
  for (std::size_t i = 0; i < responses.size(); ++i)
    out.push_back(applied(std::move(responses[i]), paths[i]));
  return out;
}

Result<Json> Client::merge_patch(const Resource& r, const std::string& ns, const std::string& name,
                                 const Json& patch, const std::string& field_manager, DryRun dry_run) {
  std::string path = resource_path(r, ns, name);
  std::string separator = "?";
  if (!field_manager.empty()) {
    path += separator + "fieldManager=" + http::url_encode(field_manager);
    separator = "&";
  }
  if (dry_run == DryRun::yes)
    path += separator + "dryRun=All";
  TRY_ASSIGN(HttpResponse response, request("PATCH", path, patch.dump(), "application/merge-patch+json"));
  return parse_json(response, fmt::format("{}: PATCH {}", context_name(), path));
}

Result<bool> Client::remove(const Resource& r, const std::string& ns, const std::string& name,
                            Propagation propagation, DryRun dry_run) {
  const char* policy = propagation == Propagation::foreground ? "Foreground"
                       : propagation == Propagation::orphan   ? "Orphan"
                                                              : "Background";
  Json options = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"propagationPolicy", policy}};
  std::string path = resource_path(r, ns, name);
  if (dry_run == DryRun::yes) {
    // The API server takes DeleteOptions from the body when there is one and
    // then ignores the query string, so dryRun must be in the body too.
    options["dryRun"] = Json::array({"All"});
    path += "?dryRun=All";
  }
  auto response = request("DELETE", path, options.dump(), "application/json");
  if (response)
    return true;
  if (response.error().code == Errc::not_found)
    return false;
  return response.error();
}

namespace {

bool holds(const std::function<bool(const Json&)>& ready, const Json& object) {
  try {
    return ready(object);
  } catch (const nlohmann::json::exception&) {
    return false;  // a field the predicate reads is not there yet
  }
}

}  // namespace

// A watch on the one object (fieldSelector on its name): the server first
// sends the object as it is, then every change, so the wait ends as soon as
// the condition holds, with one request. Returns the object, or nullopt when
// the watch ended (the server's timeoutSeconds) without it holding.
Result<std::optional<Json>> Client::watch_until(const Resource& r, const std::string& ns,
                                                const std::string& name,
                                                const std::function<bool(const Json&)>& ready,
                                                milliseconds timeout) {
  auto seconds = std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
  http::Request request;
  request.method = "GET";
  request.path_and_query =
      fmt::format("{}?watch=true&fieldSelector={}&timeoutSeconds={}", resource_path(r, ns),
                  http::url_encode("metadata.name=" + name), seconds);
  std::string pending;
  std::optional<Json> found;
  request.on_body = [&](std::string_view chunk) {
    pending.append(chunk);
    for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
      Json event = parse_api_answer(std::string_view(pending).substr(0, end));
      pending.erase(0, end + 1);
      if (!event.is_object() || !event.contains("object") || !event.contains("type"))
        continue;
      const auto& type = event["type"];
      if ((type == "ADDED" || type == "MODIFIED") && holds(ready, event["object"])) {
        found = std::move(event["object"]);
        return false;
      }
    }
    return true;
  };
  request.long_lived = true;
  request.timeout = timeout + std::chrono::seconds(5);  // the server ends the watch first
  request.cancelled = [] { return interrupted(); };
  TRY(impl_->send(std::move(request)));
  return found;
}

Result<Json> Client::wait_for(const Resource& r, const std::string& ns, const std::string& name,
                              const std::function<bool(const Json&)>& ready, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto watched = watch_until(r, ns, name, ready, timeout);
  if (watched && *watched)
    return std::move(**watched);
  // Without watch permission, after a watch that broke or ran out, or where the
  // collection cannot be watched: poll for the time left.
  const auto fall_back = [](Errc code) {
    return code == Errc::forbidden || code == Errc::not_found || is_transient(code);
  };
  if (!watched && !fall_back(watched.error().code))
    return watched.error();
  milliseconds delay{100};
  std::string last_state = "never seen";
  Errc last_code = Errc::not_ready;
  for (;;) {
    if (interrupted()) {
      return Error(Errc::interrupted,
                   fmt::format("{}: waiting for {}: interrupted", context_name(), object_name(r, ns, name)));
    }
    auto object = get(r, ns, name);
    last_code = Errc::not_ready;
    if (object) {
      if (holds(ready, *object))
        return object;
      last_state = "exists, condition not met";
    } else if (object.error().code == Errc::not_found) {
      last_state = "not found";
    } else if (is_transient(object.error().code)) {
      last_state = object.error().message;
      // A server that stops answering is not "not ready yet": say so when it ends the wait.
      if (retryable_transport(object.error().code))
        last_code = object.error().code;
    } else {
      return object.error();
    }
    auto now = Clock::now();
    if (now >= deadline)
      break;
    // Short naps, so that an interrupt ends the wait within 100 ms.
    auto nap_until = now + std::min<Clock::duration>(delay, deadline - now);
    while (Clock::now() < nap_until && !interrupted())
      std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(100), nap_until - Clock::now()));
    delay = std::min<milliseconds>(delay * 2, std::chrono::seconds(2));
  }
  return Error(last_code, fmt::format("{}: waiting for {}: not ready after {} ({})", context_name(),
                                      object_name(r, ns, name), format_duration(timeout), last_state));
}

namespace {

std::string log_path(const std::string& ns, const std::string& pod, const LogOptions& options) {
  std::string path = resource_path(resources::pods, ns, pod) + "/log";
  std::string separator = "?";
  auto add = [&](const std::string& key, const std::string& value) {
    path += separator + key + "=" + http::url_encode(value);
    separator = "&";
  };
  if (!options.container.empty())
    add("container", options.container);
  if (options.tail_lines)
    add("tailLines", std::to_string(*options.tail_lines));
  if (options.since_seconds)
    add("sinceSeconds", std::to_string(*options.since_seconds));
  return path;
}

}  // namespace

Result<std::string> Client::pod_logs(const std::string& ns, const std::string& pod,
                                     const LogOptions& options) {
  TRY_ASSIGN(HttpResponse response, request("GET", log_path(ns, pod, options)));
  return std::move(response.body);
}

Result<bool> Client::follow_pod_logs(const std::string& ns, const std::string& pod, const LogOptions& options,
                                     const std::function<bool(std::string_view)>& on_text,
                                     milliseconds timeout, const std::function<bool()>& cancelled) {
  http::Request request;
  request.method = "GET";
  request.path_and_query = log_path(ns, pod, options);
  request.path_and_query += request.path_and_query.find('?') == std::string::npos ? "?" : "&";
  request.path_and_query += "follow=true";
  request.accept = "text/plain, */*";
  bool satisfied = false;
  request.on_body = [&](std::string_view text) {
    satisfied = !on_text(text);
    return !satisfied;
  };
  request.long_lived = true;
  request.cancelled = cancelled;
  request.timeout = timeout;
  TRY(impl_->send(std::move(request)));
  return satisfied;
}

Status Client::read_pod_logs(const std::string& ns, const std::string& pod, const LogOptions& options,
                             const std::function<void(std::string_view)>& on_text,
                             const std::function<void()>& restart) {
  http::Request request;
  request.method = "GET";
  request.path_and_query = log_path(ns, pod, options);
  request.accept = "text/plain, */*";
  request.on_body = [&](std::string_view text) {
    on_text(text);
    return true;
  };
  request.on_restart = restart;
  TRY(impl_->send(std::move(request)));
  return {};
}

Result<std::string> Client::pod_proxy_get(const std::string& ns, const std::string& pod, int port,
                                          const std::string& path) {
  std::string full =
      fmt::format("{}/namespaces/{}/pods/{}:{}/proxy{}{}", api_root("", "v1"), http::url_encode(ns),
                  http::url_encode(pod), port, path.starts_with('/') ? "" : "/", path);
  TRY_ASSIGN(HttpResponse response, request("GET", full));
  return std::move(response.body);
}

Result<bool> Client::can_i(const AccessCheck& check) {
  Json attributes = {{"verb", check.verb}, {"resource", check.resource}};
  if (!check.group.empty())
    attributes["group"] = check.group;
  if (!check.namespace_name.empty())
    attributes["namespace"] = check.namespace_name;
  if (!check.name.empty())
    attributes["name"] = check.name;
  if (!check.subresource.empty())
    attributes["subresource"] = check.subresource;
  Json review = {{"apiVersion", "authorization.k8s.io/v1"},
                 {"kind", "SelfSubjectAccessReview"},
                 {"spec", {{"resourceAttributes", attributes}}}};
  TRY_ASSIGN(Json answer,
             send_json(*this, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", &review));
  const Json status = answer.value("status", Json::object());
  return status.is_object() && status.contains("allowed") && status["allowed"].is_boolean() &&
         status["allowed"].get<bool>();
}

namespace {

std::vector<std::string> strings_of(const Json& rule, const char* key) {
  std::vector<std::string> out;
  const auto& values = rule.value(key, Json::array());
  if (!values.is_array())
    return out;
  for (const auto& v : values) {
    if (v.is_string())
      out.push_back(v.get<std::string>());
  }
  return out;
}

bool matches(const std::vector<std::string>& allowed, const std::string& wanted) {
  for (const auto& a : allowed) {
    if (a == "*" || a == wanted)
      return true;
  }
  return false;
}

}  // namespace

bool rules_allow(const std::vector<ResourceRule>& rules, const AccessCheck& check) {
  for (const auto& rule : rules) {
    if (!matches(rule.verbs, check.verb) || !matches(rule.api_groups, check.group) ||
        !matches(rule.resources,
                 check.subresource.empty() ? check.resource : check.resource + "/" + check.subresource)) {
      continue;
    }
    if (rule.resource_names.empty())
      return true;
    if (!check.name.empty() && matches(rule.resource_names, check.name))
      return true;
  }
  return false;
}

Result<RulesReview> Client::rules_review(const std::string& ns) {
  Json review = {{"apiVersion", "authorization.k8s.io/v1"},
                 {"kind", "SelfSubjectRulesReview"},
                 {"spec", {{"namespace", ns}}}};
  TRY_ASSIGN(Json answer,
             send_json(*this, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", &review));
  RulesReview out;
  const Json status = answer.value("status", Json::object());
  if (!status.is_object())
    return Error(Errc::api_other, context_name() + ": the SelfSubjectRulesReview answer has no status");
  out.incomplete =
      status.contains("incomplete") && status["incomplete"].is_boolean() && status["incomplete"].get<bool>();
  const Json rules = status.value("resourceRules", Json::array());
  for (const auto& rule : rules.is_array() ? rules : Json::array()) {
    if (!rule.is_object())
      continue;
    out.rules.push_back({strings_of(rule, "verbs"), strings_of(rule, "apiGroups"),
                         strings_of(rule, "resources"), strings_of(rule, "resourceNames")});
  }
  return out;
}

Result<TokenRequestResult> Client::request_token(const std::string& ns, const std::string& service_account,
                                                 std::chrono::seconds ttl) {
  Json body = {{"apiVersion", "authentication.k8s.io/v1"},
               {"kind", "TokenRequest"},
               {"spec", {{"expirationSeconds", ttl.count()}}}};
  std::string path = resource_path(resources::service_accounts, ns, service_account) + "/token";
  TRY_ASSIGN(Json answer, send_json(*this, "POST", path, &body));
  const std::string what = fmt::format("{}: POST {}", context_name(), path);
  const Json status = answer.value("status", Json::object());
  if (!status.is_object() || !status.contains("token") || !status["token"].is_string() ||
      status["token"].get<std::string>().empty()) {
    return Error(Errc::api_other, what + ": the TokenRequest answer has no token");
  }
  TokenRequestResult result;
  result.token = Secret(status["token"].get<std::string>());
  log::register_secret(result.token.reveal());
  std::optional<std::chrono::system_clock::time_point> expiry;
  if (status.contains("expirationTimestamp") && status["expirationTimestamp"].is_string()) {
    expiry = parse_rfc3339(status["expirationTimestamp"].get<std::string>());
  }
  // The server may shorten the lifetime; without a readable expiry assume the asked one.
  result.expiry = expiry.value_or(std::chrono::system_clock::now() + ttl);
  return result;
}

Result<ServerVersion> Client::version() {
  TRY_ASSIGN(Json answer, send_json(*this, "GET", "/version", nullptr));
  auto text = [&](const char* key) {
    return answer.contains(key) && answer[key].is_string() ? answer[key].get<std::string>() : std::string();
  };
  ServerVersion version{text("gitVersion"), text("major"), text("minor")};
  if (version.git_version.empty()) {
    return Error(Errc::api_other,
                 fmt::format("{}: GET /version: the answer has no gitVersion", context_name()));
  }
  return version;
}

}  // namespace meshctl::kube
