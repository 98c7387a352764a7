#include "test_https_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace meshctl::test {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

void check(bool ok, const char* what) {
  if (!ok)
    throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

PkeyPtr new_key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(key != nullptr, "EC key generation");
  return key;
}

std::string drain(BIO* bio) {
  std::string out(static_cast<std::size_t>(BIO_ctrl_pending(bio)), '\0');
  int read = BIO_read(bio, out.data(), static_cast<int>(out.size()));
  check(read == static_cast<int>(out.size()), "BIO_read");
  return out;
}

std::string cert_to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return drain(bio.get());
}

std::string key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "PEM key");
  return drain(bio.get());
}

X509Ptr cert_from_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  check(cert != nullptr, "PEM_read_bio_X509");
  return cert;
}

PkeyPtr key_from_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  check(key != nullptr, "PEM_read_bio_PrivateKey");
  return key;
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// Validity from now + not_before to now + not_after (seconds).
X509Ptr new_cert(EVP_PKEY* subject_key, const std::string& common_name, long not_before = -3600,
                 long not_after = 24 * 3600) {
  static std::atomic<long> serial{1000};
  X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after);
  X509_set_pubkey(cert.get(), subject_key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  return cert;
}

}  // namespace

struct TestCa::State {
  PkeyPtr key;
  X509Ptr cert;
};

TestCa::TestCa(const std::string& common_name) : state_(std::make_unique<State>()) {
  state_->key = new_key();
  state_->cert = new_cert(state_->key.get(), common_name);
  X509* cert = state_->cert.get();
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  add_extension(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  check(X509_sign(cert, state_->key.get(), EVP_sha256()) > 0, "X509_sign");
  cert_pem_ = cert_to_pem(cert);
}

TestCa::~TestCa() = default;

CertAndKey TestCa::issue(const std::string& common_name, const std::string& extended_usage,
                         const std::string& subject_alt_names, long not_before, long not_after) const {
  PkeyPtr key = new_key();
  X509Ptr cert = new_cert(key.get(), common_name, not_before, not_after);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(state_->cert.get()));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, state_->cert.get(), cert.get(), nullptr, nullptr, 0);
  add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  add_extension(cert.get(), &ctx, NID_ext_key_usage, extended_usage);
  if (!subject_alt_names.empty())
    add_extension(cert.get(), &ctx, NID_subject_alt_name, subject_alt_names);
  check(X509_sign(cert.get(), state_->key.get(), EVP_sha256()) > 0, "X509_sign");
  return {cert_to_pem(cert.get()), key_to_pem(key.get())};
}

CertAndKey TestCa::issue_server(const std::vector<std::string>& dns_names,
                                const std::vector<std::string>& ips) const {
  std::string sans;
  for (const auto& name : dns_names)
    sans += (sans.empty() ? "DNS:" : ",DNS:") + name;
  for (const auto& ip : ips)
    sans += (sans.empty() ? "IP:" : ",IP:") + ip;
  return issue(dns_names.empty() ? "test-server" : dns_names.front(), "serverAuth", sans);
}

CertAndKey TestCa::issue_client(const std::string& common_name) const {
  return issue(common_name, "clientAuth", "");
}

CertAndKey TestCa::issue_expired_client(const std::string& common_name) const {
  return issue(common_name, "clientAuth", "", -2 * 24 * 3600, -24 * 3600);
}

TestHttpsServer::TestHttpsServer(const CertAndKey& identity, Handler handler,
                                 const std::string& client_ca_pem)
    : handler_(std::move(handler)) {
  // A client that gave up (the timeout tests) must not kill the test process
  // with SIGPIPE when the answer is written.
  ::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  check(ctx != nullptr, "SSL_CTX_new");
  ssl_ctx_ = ctx;
  X509Ptr cert = cert_from_pem(identity.cert_pem);
  PkeyPtr key = key_from_pem(identity.key_pem);
  check(SSL_CTX_use_certificate(ctx, cert.get()) == 1, "SSL_CTX_use_certificate");
  check(SSL_CTX_use_PrivateKey(ctx, key.get()) == 1, "SSL_CTX_use_PrivateKey");
  if (!client_ca_pem.empty()) {
    X509Ptr ca = cert_from_pem(client_ca_pem);
    check(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca.get()) == 1, "X509_STORE_add_cert");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  check(listen_fd_ >= 0, "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  check(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0, "bind");
  check(::listen(listen_fd_, 64) == 0, "listen");
  socklen_t length = sizeof address;
  check(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0, "getsockname");
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TestHttpsServer::~TestHttpsServer() {
  stop_ = true;
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& worker : workers)
    worker.join();
  ::close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

std::vector<TestRequest> TestHttpsServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void TestHttpsServer::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0)
      continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0)
      continue;
    ++connections_;
    std::lock_guard lock(mutex_);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

namespace {

// Waits until fd is readable or the server stops; false when it stopped.
bool wait_readable(int fd, const std::atomic<bool>& stop) {
  while (!stop) {
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, 20);
    if (ready > 0)
      return true;
  }
  return false;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

void TestHttpsServer::serve(int fd) {
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
  SSL_set_fd(ssl, fd);
  std::string client_cn;
  if (SSL_accept(ssl) == 1) {
    if (X509* peer = SSL_get1_peer_certificate(ssl)) {
      char name[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
      client_cn = name;
      X509_free(peer);
    }
    std::string buffer;
    bool open = true;
    while (open && !stop_) {
      // Read one request: headers, then Content-Length bytes of body.
      std::size_t header_end;
      while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (SSL_pending(ssl) == 0 && !wait_readable(fd, stop_)) {
          open = false;
          break;
        }
        char chunk[16384];
        int n = SSL_read(ssl, chunk, sizeof chunk);
        if (n <= 0) {
          open = false;
          break;
        }
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      if (!open)
        break;
      TestRequest request;
      request.client_common_name = client_cn;
      std::string head = buffer.substr(0, header_end);
      buffer.erase(0, header_end + 4);
      std::size_t line_end = head.find("\r\n");
      std::string request_line = head.substr(0, line_end);
      auto first_space = request_line.find(' ');
      auto second_space = request_line.find(' ', first_space + 1);
      request.method = request_line.substr(0, first_space);
      request.target = request_line.substr(first_space + 1, second_space - first_space - 1);
      while (line_end != std::string::npos) {
        std::size_t start = line_end + 2;
        line_end = head.find("\r\n", start);
        std::string line =
            head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
        auto colon = line.find(':');
        if (colon == std::string::npos)
          continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        request.headers[lower(line.substr(0, colon))] = value;
      }
      std::size_t length =
          request.headers.count("content-length") ? std::stoul(request.headers["content-length"]) : 0;
      while (buffer.size() < length && open) {
        if (SSL_pending(ssl) == 0 && !wait_readable(fd, stop_))
          break;
        char chunk[16384];
        int n = SSL_read(ssl, chunk, sizeof chunk);
        if (n <= 0)
          open = false;
        if (n > 0)
          buffer.append(chunk, static_cast<std::size_t>(n));
      }
      request.body = buffer.substr(0, length);
      buffer.erase(0, std::min(length, buffer.size()));
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      TestResponse response = handler_(request);
      std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) +
                        "\r\nContent-Type: " + response.content_type +
                        "\r\nContent-Length: " + std::to_string(response.body.size()) + "\r\n";
      for (const auto& [name, value] : response.headers)
        out += name + ": " + value + "\r\n";
      out += "\r\n" + response.body;
      if (SSL_write(ssl, out.data(), static_cast<int>(out.size())) <= 0)
        break;
      if (lower(request.header("connection")) == "close")
        break;
    }
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  ::close(fd);
}

namespace {

int listen_on_loopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  check(fd >= 0, "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0, "bind");
  check(::listen(fd, 16) == 0, "listen");
  socklen_t length = sizeof address;
  check(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0, "getsockname");
  port = ntohs(address.sin_port);
  return fd;
}

int select_h2(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
              unsigned int in_length, void*) {
  static const unsigned char h2[] = {2, 'h', '2'};
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, h2, sizeof h2, in, in_length) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// Reads exactly `size` bytes; false when the peer went away or the server stops.
bool read_exactly(SSL* ssl, int fd, const std::atomic<bool>& stop, std::string& out, std::size_t size) {
  out.clear();
  while (out.size() < size) {
    if (SSL_pending(ssl) == 0 && !wait_readable(fd, stop))
      return false;
    char chunk[4096];
    int n = SSL_read(ssl, chunk, static_cast<int>(std::min(sizeof chunk, size - out.size())));
    if (n <= 0)
      return false;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

TestH2Server::TestH2Server(const CertAndKey& identity, Answer answer) : answer_(std::move(answer)) {
  ::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  check(ctx != nullptr, "SSL_CTX_new");
  ssl_ctx_ = ctx;
  X509Ptr cert = cert_from_pem(identity.cert_pem);
  PkeyPtr key = key_from_pem(identity.key_pem);
  check(SSL_CTX_use_certificate(ctx, cert.get()) == 1, "SSL_CTX_use_certificate");
  check(SSL_CTX_use_PrivateKey(ctx, key.get()) == 1, "SSL_CTX_use_PrivateKey");
  SSL_CTX_set_alpn_select_cb(ctx, select_h2, nullptr);
  listen_fd_ = listen_on_loopback(port_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TestH2Server::~TestH2Server() {
  stop_ = true;
  acceptor_.join();
  for (auto& worker : workers_)
    worker.join();
  ::close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

std::string TestH2Server::frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream_id,
                                const std::string& payload) {
  const auto length = static_cast<std::uint32_t>(payload.size());
  std::string out{static_cast<char>(length >> 16),    static_cast<char>(length >> 8),
                  static_cast<char>(length),          static_cast<char>(type),
                  static_cast<char>(flags),           static_cast<char>((stream_id >> 24) & 0x7f),
                  static_cast<char>(stream_id >> 16), static_cast<char>(stream_id >> 8),
                  static_cast<char>(stream_id)};
  return out + payload;
}

void TestH2Server::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0)
      continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0)
      continue;
    std::lock_guard lock(mutex_);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

// Speaks just enough HTTP/2 for a client to send requests: the server's
// SETTINGS, acknowledgements of the client's SETTINGS and PINGs, and the
// scripted answer to each HEADERS frame. Flow control is not tracked: the
// answers stay within the initial windows.
void TestH2Server::serve(int fd) {
  static constexpr std::uint8_t kSettings = 0x4, kPing = 0x6, kGoaway = 0x7, kAck = 0x1;
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
  SSL_set_fd(ssl, fd);
  std::string bytes;
  auto send = [&](const std::string& out) {
    return SSL_write(ssl, out.data(), static_cast<int>(out.size())) > 0;
  };
  if (SSL_accept(ssl) == 1 && read_exactly(ssl, fd, stop_, bytes, 24) &&
      bytes.rfind("PRI * HTTP/2.0", 0) == 0 && send(frame(kSettings, 0, 0, ""))) {
    std::string header;
    while (read_exactly(ssl, fd, stop_, header, 9)) {
      const auto length = (static_cast<std::size_t>(static_cast<unsigned char>(header[0])) << 16) |
                          (static_cast<std::size_t>(static_cast<unsigned char>(header[1])) << 8) |
                          static_cast<unsigned char>(header[2]);
      const auto type = static_cast<std::uint8_t>(header[3]);
      const auto flags = static_cast<std::uint8_t>(header[4]);
      std::uint32_t stream_id = 0;
      for (std::size_t i = 5; i < 9; ++i)
        stream_id = (stream_id << 8) | static_cast<unsigned char>(header[i]);
      stream_id &= 0x7fffffffU;
      if (!read_exactly(ssl, fd, stop_, bytes, length))
        break;
      bool sent = true;
      if (type == kSettings && (flags & kAck) == 0)
        sent = send(frame(kSettings, kAck, 0, ""));
      else if (type == kPing && (flags & kAck) == 0)
        sent = send(frame(kPing, kAck, 0, bytes));
      else if (type == kHeaders)
        sent = send(answer_(++requests_, stream_id));
      else if (type == kGoaway)
        break;
      if (!sent)
        break;
    }
  }
  SSL_free(ssl);
  ::close(fd);
}

int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace meshctl::test
