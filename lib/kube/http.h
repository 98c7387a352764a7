// The libcurl transport under kube::Client: one Transport per cluster, holding
// the TLS material in memory. Requests from any thread share one multiplexed
// connection (HTTP/2 where the server speaks it); a long-lived stream (watch,
// followed log) has a connection of its own. It knows nothing of
// Kubernetes: it sends one request and reports either the HTTP answer or a
// transport failure classified into Errc::transport_*.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/secret.h"

namespace meshctl::kube::http {

struct TransportConfig {
  std::string server;  // https://host[:port][/prefix], from the kubeconfig cluster
  std::string ca_pem;  // empty: the system trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // name the server certificate must carry, if not the URL's host
  std::string proxy_url;        // empty: libcurl's usual *_proxy environment handling
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  std::string user_agent;
};

struct Request {
  std::string method;          // GET, POST, PATCH, PUT, DELETE
  std::string path_and_query;  // appended to the server URL's path prefix
  std::string body;            // sent when non-empty or when the method is not GET
  std::string content_type;    // for the body
  std::string accept = "application/json";
  Secret bearer_token;   // empty: no Authorization header
  std::string username;  // basic auth, when non-empty
  Secret password;
  std::string client_cert_pem;  // client certificate for this request (may differ per request
  Secret client_key_pem;        // when an exec plugin rotates it)
  // Streaming: when set, the body is handed over as it arrives instead of being
  // collected, and the transfer ends early (successfully) when this returns false.
  // It runs on the cluster's multiplexer thread while the sender waits, unless
  // the stream is long-lived.
  std::function<bool(std::string_view)> on_body;
  // A stream that stays open as long as its reader wants (a watch, a followed
  // log): sent on a connection of its own, on_body on the sender's thread.
  bool long_lived = false;
  // A stream whose reader can start over: called before the request is sent
  // again, and such a stream is repeated like any request of its verb.
  std::function<void()> on_restart;
  // Checked about once a second during the transfer; true aborts it (Errc::interrupted).
  std::function<bool()> cancelled;
  std::optional<std::chrono::milliseconds> timeout;  // overrides the transport's request timeout
};

struct Response {
  long status = 0;
  std::string body;
  std::string content_type;
  std::optional<std::chrono::seconds> retry_after;
  bool stopped_early = false;  // on_body asked to stop
};

// Maps a libcurl result code (and its error text) to an Errc::transport_* value.
// Exposed for tests.
Errc classify_curl_error(int curl_code, const std::string& detail);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(const std::string& text);

class Multiplexer;
struct Transfer;

class Transport {
 public:
  // Errc::config when the server URL cannot be parsed.
  static Result<std::unique_ptr<Transport>> create(TransportConfig config);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // One attempt, no retries. On failure the Error's message is libcurl's detail
  // text alone; the caller adds the context and request.
  Result<Response> perform(const Request& request);
  // Several requests at once on the multiplexed connection, sent from the
  // calling thread, which waits for the last answer: concurrency without a
  // thread per request. Answers in request order; no streams (on_body).
  std::vector<Result<Response>> perform_all(const std::vector<Request>& requests);

  const TransportConfig& config() const { return config_; }

 private:
  explicit Transport(TransportConfig config);
  Multiplexer& multiplexer();  // started on the first request that needs it
  Result<std::unique_ptr<Transfer>> prepare(const Request& request) const;
  // Makes, when called, a small request that shares `request`'s connection.
  std::function<std::unique_ptr<Transfer>()> poke_like(const Request& request) const;
  static Result<Response> finish(Transfer& transfer, int curl_code);

  TransportConfig config_;
  std::string url_base_;     // scheme://host:port/prefix as sent (host may be tls-server-name)
  std::string connect_to_;   // CURLOPT_CONNECT_TO entry, empty when not needed
  std::string host_header_;  // "Host: real-host:port" when connect_to_ is used
  std::once_flag multiplexer_started_;
  std::unique_ptr<Multiplexer> multiplexer_;
};

}  // namespace meshctl::kube::http
