// Test-only helpers for the API client tests: a throw-away PKI generated in
// memory at test time (no key is ever committed) and a tiny HTTPS/1.1 server on
// 127.0.0.1 with a random port, whose answers each test scripts. It is not a
// Kubernetes API server (the lab's kube-apiserver is); it lets the tests see
// exactly what the client sent and make it fail in controlled ways.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace meshctl::test {

struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;
};

// A certificate authority with an EC P-256 key, valid for a day.
class TestCa {
 public:
  explicit TestCa(const std::string& common_name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_pem() const { return cert_pem_; }
  // A server certificate for the given DNS names and IP addresses.
  CertAndKey issue_server(const std::vector<std::string>& dns_names,
                          const std::vector<std::string>& ips) const;
  // A client certificate with this common name.
  CertAndKey issue_client(const std::string& common_name) const;
  // A client certificate that expired a day ago (valid for one day before that).
  CertAndKey issue_expired_client(const std::string& common_name) const;

 private:
  CertAndKey issue(const std::string& common_name, const std::string& extended_usage,
                   const std::string& subject_alt_names, long not_before = -3600,
                   long not_after = 24 * 3600) const;
  struct State;
  std::unique_ptr<State> state_;
  std::string cert_pem_;
};

struct TestRequest {
  std::string method;
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string client_common_name;  // from the client certificate, if any

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string path() const { return target.substr(0, target.find('?')); }
  std::string query() const {
    auto q = target.find('?');
    return q == std::string::npos ? std::string() : target.substr(q + 1);
  }
};

struct TestResponse {
  int status = 200;
  std::string body = "{}";
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

class TestHttpsServer {
 public:
  using Handler = std::function<TestResponse(const TestRequest&)>;

  // Serves with `identity`. When client_ca_pem is set, a client certificate
  // signed by it is required.
  TestHttpsServer(const CertAndKey& identity, Handler handler, const std::string& client_ca_pem = {});
  ~TestHttpsServer();
  TestHttpsServer(const TestHttpsServer&) = delete;
  TestHttpsServer& operator=(const TestHttpsServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::vector<TestRequest> requests() const;
  int connections() const { return connections_; }

 private:
  void accept_loop();
  void serve(int fd);

  Handler handler_;
  void* ssl_ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::vector<TestRequest> requests_;
};

// A bare HTTP/2 server over TLS (ALPN h2) that writes each answer exactly as
// the test spells it, frame by frame, in one write: for reproducing what a
// client does with a given framing (libcurl's HTTP/2 bugs). It decodes no
// request headers; requests are told apart by their order on the connection.
class TestH2Server {
 public:
  // Called for each request (HEADERS frame) with its number on the
  // connection, from 1, and its stream; returns the bytes to write.
  using Answer = std::function<std::string(int request_number, std::uint32_t stream_id)>;

  TestH2Server(const CertAndKey& identity, Answer answer);
  ~TestH2Server();
  TestH2Server(const TestH2Server&) = delete;
  TestH2Server& operator=(const TestH2Server&) = delete;

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

  // One frame: a 9-byte header and the payload.
  static std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream_id,
                           const std::string& payload);
  static constexpr std::uint8_t kData = 0x0, kHeaders = 0x1;
  static constexpr std::uint8_t kEndStream = 0x1, kEndHeaders = 0x4;

 private:
  void accept_loop();
  void serve(int fd);

  Answer answer_;
  void* ssl_ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;
};

// A 127.0.0.1 port on which nothing listens (bound, then closed).
int unused_port();

// For checking that a client sends requests together: each handler call of
// arrive() waits at the server until `expected` requests are there at once,
// or until `bound` passes. The bound stays below the client's request
// timeout, so a client that sends one after another fails the check (met()
// is false) instead of hanging.
class Gathering {
 public:
  explicit Gathering(int expected, std::chrono::milliseconds bound = std::chrono::seconds(3))
      : expected_(expected), bound_(bound) {}

  void arrive() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    arrived_.notify_all();
    if (arrived_.wait_for(lock, bound_, [&] { return waiting_ >= expected_ || met_; }))
      met_ = true;
    --waiting_;
  }

  bool met() const {
    std::lock_guard lock(mutex_);
    return met_;
  }

 private:
  const int expected_;
  const std::chrono::milliseconds bound_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  int waiting_ = 0;  // requests at the server, not yet answered
  bool met_ = false;
};

}  // namespace meshctl::test
