#include "kube/http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "util/log.h"

namespace meshctl::kube::http {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UrlHandle {
  CURLU* url = curl_url();
  ~UrlHandle() { curl_url_cleanup(url); }
  UrlHandle() = default;
  UrlHandle(const UrlHandle&) = delete;
  UrlHandle& operator=(const UrlHandle&) = delete;

  std::string part(CURLUPart which, unsigned int flags = 0) const {
    char* value = nullptr;
    if (curl_url_get(url, which, &value, flags) != CURLUE_OK || value == nullptr)
      return {};
    std::string out(value);
    curl_free(value);
    return out;
  }
};

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  // Returns false when libcurl could not allocate.
  bool add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr)
      return false;
    list = next;
    return true;
  }
};

size_t write_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct StreamState {
  const Request* request;
  CURL* handle;
  std::string* error_body;  // a non-2xx answer is collected for the caller to decode
  bool stopped = false;
};

size_t write_stream(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<StreamState*>(user);
  long status = 0;
  curl_easy_getinfo(state->handle, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    state->error_body->append(data, size * count);
    return size * count;
  }
  if (!state->request->on_body(std::string_view(data, size * count))) {
    state->stopped = true;
    return CURL_WRITEFUNC_ERROR;  // ends the transfer; reported as a normal stop below
  }
  return size * count;
}

int check_cancelled(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* request = static_cast<const Request*>(user);
  return request->cancelled() ? 1 : 0;
}

bool contains(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

std::optional<std::chrono::seconds> retry_after(CURL* handle) {
  curl_header* header = nullptr;
  if (curl_easy_header(handle, "Retry-After", 0, CURLH_HEADER, -1, &header) != CURLHE_OK ||
      header == nullptr) {
    return std::nullopt;
  }
  // The API server sends delta-seconds; an HTTP-date is ignored (backoff applies).
  std::string_view value(header->value);
  long seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end == value.data() || seconds < 0)
    return std::nullopt;
  return std::chrono::seconds(seconds);
}

void set_blob(CURL* handle, CURLoption option, const std::string& pem) {
  curl_blob blob{};
  blob.data = const_cast<char*>(pem.data());
  blob.len = pem.size();
  blob.flags = CURL_BLOB_COPY;
  curl_easy_setopt(handle, option, &blob);
}

}  // namespace

Errc classify_curl_error(int curl_code, const std::string& detail) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Errc::transport_dns;
    case CURLE_COULDNT_CONNECT:
      return Errc::transport_refused;
    case CURLE_OPERATION_TIMEDOUT:
      return Errc::transport_timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_CLIENTCERT:
      return Errc::transport_tls;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      // With TLS 1.3 a server that rejects the client certificate says so in an
      // alert after the handshake, which libcurl reports as a receive error.
      if (contains(detail, "SSL") || contains(detail, "alert") || contains(detail, "certificate")) {
        return Errc::transport_tls;
      }
      if (contains(detail, "reset"))
        return Errc::transport_refused;
      return Errc::transport_other;
    default:
      return Errc::transport_other;
  }
}

std::string url_encode(const std::string& text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                      (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                      byte == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0x0f];
    }
  }
  return out;
}

Transport::Transport(TransportConfig config) : config_(std::move(config)) {}

Transport::~Transport() = default;

Result<std::unique_ptr<Transport>> Transport::create(TransportConfig config) {
  global_init();
  UrlHandle parsed;
  if (parsed.url == nullptr)
    return Error(Errc::internal, "out of memory parsing the server URL");
  if (curl_url_set(parsed.url, CURLUPART_URL, config.server.c_str(), 0) != CURLUE_OK) {
    return Error(Errc::config, fmt::format("server URL \"{}\" is not a valid URL", config.server));
  }
  std::string scheme = parsed.part(CURLUPART_SCHEME);
  if (scheme != "https" && scheme != "http") {
    return Error(Errc::config, fmt::format("server URL \"{}\" must use https (or http)", config.server));
  }
  std::string host = parsed.part(CURLUPART_HOST);
  std::string port = parsed.part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  std::string prefix = parsed.part(CURLUPART_PATH);
  while (!prefix.empty() && prefix.back() == '/')
    prefix.pop_back();

  std::unique_ptr<Transport> transport(new Transport(std::move(config)));
  const std::string& server_name = transport->config_.tls_server_name;
  if (!server_name.empty() && server_name != host) {
    // libcurl has no option to send a different SNI name or verify against a
    // different name than the URL's host. So the URL names tls-server-name
    // (libcurl then sends it as SNI and checks the certificate against it) and
    // CONNECT_TO sends the TCP connection to the real host:port. RESOLVE would
    // need an IP address; CONNECT_TO also takes a host name. A Host header with
    // the real host keeps the HTTP layer as client-go has it.
    transport->url_base_ = fmt::format("{}://{}:{}{}", scheme, server_name, port, prefix);
    transport->connect_to_ = fmt::format("{}:{}:{}:{}", server_name, port, host, port);
    transport->host_header_ = fmt::format("Host: {}:{}", host, port);
  } else {
    transport->url_base_ = fmt::format("{}://{}:{}{}", scheme, host, port, prefix);
  }
  return transport;
}

// One request's libcurl handle and everything it points into, from
// prepare() until finish(). Not movable: libcurl holds pointers into it.
struct Transfer {
  CURL* handle = curl_easy_init();
  std::string url;
  std::array<char, CURL_ERROR_SIZE> error_text{};
  Response response;
  HeaderList headers;
  HeaderList connect_to;
  StreamState stream{};
  std::chrono::milliseconds timeout{};

  Transfer() = default;
  ~Transfer() {
    if (handle != nullptr)
      curl_easy_cleanup(handle);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
};

// Runs the transfers of one cluster on one libcurl multi handle, from one
// thread: requests sent concurrently from several threads share a connection
// (HTTP/2 streams) instead of each opening and securing its own, which on a
// distant cluster costs round trips before the first byte.
class Multiplexer {
 public:
  Multiplexer() : multi_(curl_multi_init()) {
    if (multi_ == nullptr)
      return;
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
    loop_ = std::thread([this] { run(); });
  }
  ~Multiplexer() {
    if (multi_ == nullptr)
      return;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_);
    loop_.join();
    end_poke();
    curl_multi_cleanup(multi_);
  }
  Multiplexer(const Multiplexer&) = delete;
  Multiplexer& operator=(const Multiplexer&) = delete;

  // Runs configured easy handles to completion, all at once; blocks the
  // caller until the last one ends. Each handle is handed to on_done (on
  // this multiplexer's thread) as soon as it ends, so it can be read and
  // freed then: libcurl keeps a transfer's 16 KiB receive and upload buffers
  // until its handle is cleaned up, and a batch's answers arrive over a
  // spread of time. The timeouts are the ones set on the handles: see expire().
  // A job's poke makes a small request with the same credentials, to send
  // on the same connection when the job's answer stalls: see poke_stalled().
  using PokeFn = std::function<std::unique_ptr<Transfer>()>;
  struct Job {
    CURL* handle;
    std::chrono::milliseconds timeout;
    PokeFn poke;
  };
  using DoneFn = std::function<void(std::size_t index, CURLcode code)>;
  void perform_all(const std::vector<Job>& jobs, std::chrono::milliseconds connect_timeout,
                   const DoneFn& on_done) {
    if (multi_ == nullptr) {
      for (std::size_t i = 0; i < jobs.size(); ++i)
        on_done(i, curl_easy_perform(jobs[i].handle));
      return;
    }
    const auto now = Clock::now();
    std::vector<Pending> pending;
    pending.reserve(jobs.size());
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      pending.push_back({jobs[i].handle, now + jobs[i].timeout + kExpiryGrace,
                         now + connect_timeout + kExpiryGrace,
                         [&on_done, i](CURLcode code) { on_done(i, code); }, &jobs[i].poke});
    }
    {
      std::lock_guard lock(mutex_);
      for (auto& one : pending)
        queued_.push_back(&one);
    }
    curl_multi_wakeup(multi_);
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [&] {
      return std::all_of(pending.begin(), pending.end(), [](const Pending& p) { return p.done; });
    });
  }

 private:
  using Clock = std::chrono::steady_clock;
  // libcurl's own timeout normally ends a transfer first, with its message.
  static constexpr std::chrono::milliseconds kExpiryGrace{250};
  // While transfers are running, the loop runs them at least this often.
  // libcurl 7.88 (Debian 12) can leave an HTTP/2 stream whose 16 KiB receive
  // buffer filled (an answer larger than that, such as a Typha log) with the
  // rest held in nghttp2, and no socket event or timer to run it again: the
  // transfer then waited for the next check. Seen on the lab: status's log
  // reads took 1.1 s (the idle wait) in about one run of three; with this,
  // no read over 500 ms in 26 runs. (A rarer hang until the request's
  // timeout is another bug: see kQuietBeforePoke.)
  static constexpr std::chrono::milliseconds kBusyPoll{50};

  // libcurl 7.88 (Debian 12's) can lose the end of an HTTP/2 answer. When
  // a DATA frame does not fit in the stream's receive buffer, libcurl pauses
  // nghttp2 inside that frame; once it has handed the held bytes over it
  // lifts the pause without calling nghttp2 again, so the frame's END_STREAM
  // is seen only when more bytes come in on the connection. If nothing more
  // comes, the transfer, its whole body received, waits for its timeout.
  // Traced with a debug build of 7.88.1 on the lab (Typha log reads, larger
  // than the 16 KiB buffer, hung 10 s in about one status run of thirty) and
  // reproduced exactly by a unit test. A stream whose body has started and
  // then stayed still this long gets a poke: a small request on the same
  // connection, whose answer makes libcurl feed nghttp2 again.
  static constexpr std::chrono::milliseconds kQuietBeforePoke{300};
  static constexpr std::chrono::milliseconds kPokeTimeout{5000};

  struct Pending {
    CURL* handle;
    Clock::time_point deadline;
    Clock::time_point connect_deadline;  // to have a connection to send on
    std::function<void(CURLcode)> on_done;
    const PokeFn* poke;
    bool done = false;
    curl_off_t body_bytes = -1;  // as of quiet_since
    Clock::time_point quiet_since{};
    bool poked = false;  // at body_bytes
  };

  // A transfer that waits (CURLOPT_PIPEWAIT) for a connection still being
  // set up starts its own connect timeout only when that one fails: behind a
  // server that accepts TCP but never answers the TLS handshake (a frozen
  // apiserver), the waiting requests would time out one after another
  // instead of together. Each request's own deadlines, from when it was
  // sent, are kept here. Returns the time until the next check.
  static bool sending(CURL* handle) {
    curl_off_t pretransfer = 0;
    return curl_easy_getinfo(handle, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) == CURLE_OK &&
           pretransfer > 0;
  }

  std::chrono::milliseconds expire(std::map<CURL*, Pending*>& active) {
    const auto now = Clock::now();
    auto next = std::chrono::milliseconds(1000);
    for (auto it = active.begin(); it != active.end();) {
      const bool connect_overdue = now >= it->second->connect_deadline && !sending(it->first);
      if (now >= it->second->deadline || connect_overdue) {
        curl_multi_remove_handle(multi_, it->first);
        complete(it->second, CURLE_OPERATION_TIMEDOUT);
        it = active.erase(it);
        continue;
      }
      for (auto due : {it->second->deadline, it->second->connect_deadline}) {
        if (due > now)
          next = std::min(next, std::chrono::duration_cast<std::chrono::milliseconds>(due - now) +
                                    std::chrono::milliseconds(1));
      }
      ++it;
    }
    return next;
  }

  // Called once the handle is out of the multi handle.
  void complete(Pending* pending, CURLcode code) {
    pending->on_done(code);
    {
      std::lock_guard lock(mutex_);
      pending->done = true;
    }
    finished_.notify_all();
  }

  // Returns false when the transport is going away.
  bool add_queued(std::map<CURL*, Pending*>& active) {
    std::vector<Pending*> queued;
    {
      std::lock_guard lock(mutex_);
      if (stopping_)
        return false;
      queued.swap(queued_);
    }
    for (Pending* pending : queued) {
      if (curl_multi_add_handle(multi_, pending->handle) == CURLM_OK)
        active[pending->handle] = pending;
      else
        complete(pending, CURLE_FAILED_INIT);
    }
    return true;
  }

  void run() {
    std::map<CURL*, Pending*> active;
    while (add_queued(active)) {
      int running = 0;
      curl_multi_perform(multi_, &running);
      int left = 0;
      while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
        if (message->msg != CURLMSG_DONE)
          continue;
        CURL* handle = message->easy_handle;
        const CURLcode code = message->data.result;  // the message is gone once the handle is removed
        if (poke_ != nullptr && handle == poke_->handle) {
          end_poke();  // its answer, whatever it was, did its work
          continue;
        }
        curl_multi_remove_handle(multi_, handle);
        auto it = active.find(handle);
        if (it != active.end()) {
          complete(it->second, code);
          active.erase(it);
        }
      }
      poke_stalled(active);
      auto wait = expire(active);
      if (!active.empty())
        wait = std::min(wait, kBusyPoll);
      curl_multi_poll(multi_, nullptr, 0, static_cast<int>(wait.count()), nullptr);
    }
  }

  static bool answering_over_http2(CURL* handle) {
    long status = 0;
    long version = 0;
    return curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status > 0 &&
           curl_easy_getinfo(handle, CURLINFO_HTTP_VERSION, &version) == CURLE_OK &&
           version == CURL_HTTP_VERSION_2_0;
  }

  // One poke at a time, and one per stall of a stream: a stream that moves
  // again (or a later stall) may be poked again.
  void poke_stalled(std::map<CURL*, Pending*>& active) {
    const auto now = Clock::now();
    for (auto& [handle, pending] : active) {
      curl_off_t bytes = 0;
      curl_easy_getinfo(handle, CURLINFO_SIZE_DOWNLOAD_T, &bytes);
      if (bytes != pending->body_bytes) {
        pending->body_bytes = bytes;
        pending->quiet_since = now;
        pending->poked = false;
        continue;
      }
      if (poke_ != nullptr || pending->poked || bytes == 0 || now - pending->quiet_since < kQuietBeforePoke ||
          pending->poke == nullptr || !*pending->poke || !answering_over_http2(handle)) {
        continue;
      }
      pending->poked = true;
      char* url = nullptr;
      curl_easy_getinfo(handle, CURLINFO_EFFECTIVE_URL, &url);
      log::debug("{}: no more bytes after {} for {}ms; poking its connection with GET /version",
                 url != nullptr ? url : "a request", bytes, kQuietBeforePoke.count());
      auto poke = (*pending->poke)();
      if (poke == nullptr)
        continue;
      curl_easy_setopt(poke->handle, CURLOPT_TIMEOUT_MS, static_cast<long>(kPokeTimeout.count()));
      if (curl_multi_add_handle(multi_, poke->handle) == CURLM_OK)
        poke_ = std::move(poke);
    }
  }

  void end_poke() {
    if (poke_ == nullptr)
      return;
    curl_multi_remove_handle(multi_, poke_->handle);
    poke_.reset();
  }

  CURLM* multi_;
  std::unique_ptr<Transfer> poke_;  // only touched on the loop's thread (and after it ends)
  std::thread loop_;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::vector<Pending*> queued_;
  bool stopping_ = false;
};

Multiplexer& Transport::multiplexer() {
  std::call_once(multiplexer_started_, [this] { multiplexer_ = std::make_unique<Multiplexer>(); });
  return *multiplexer_;
}

Result<std::unique_ptr<Transfer>> Transport::prepare(const Request& request) const {
  auto transfer = std::make_unique<Transfer>();
  CURL* handle = transfer->handle;
  if (handle == nullptr)
    return Error(Errc::internal, "libcurl could not create a handle");
  transfer->url = url_base_ + request.path_and_query;
  HeaderList& headers = transfer->headers;
  bool headers_ok = headers.add("Accept: " + request.accept) && headers.add("Expect:");
  if (!request.content_type.empty())
    headers_ok = headers_ok && headers.add("Content-Type: " + request.content_type);
  if (!request.bearer_token.empty()) {
    headers_ok = headers_ok && headers.add("Authorization: Bearer " + request.bearer_token.reveal());
  }
  if (!host_header_.empty())
    headers_ok = headers_ok && headers.add(host_header_);
  if (!connect_to_.empty())
    headers_ok = headers_ok && transfer->connect_to.add(connect_to_);
  if (!headers_ok)
    return Error(Errc::internal, "out of memory building request headers");

  curl_easy_setopt(handle, CURLOPT_URL, transfer->url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
  transfer->timeout = request.timeout.value_or(config_.request_timeout);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(transfer->timeout.count()));
  curl_easy_setopt(handle, CURLOPT_USERAGENT, config_.user_agent.c_str());
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, transfer->error_text.data());
  // libcurl's upload buffer is 64 KiB per transfer by default, taken for
  // every request with a body for as long as it is in flight; at ten
  // clusters a join has a hundred or more writes out at once. Request bodies
  // are a few KiB, and 16 KiB is the least libcurl takes.
  curl_easy_setopt(handle, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
  transfer->stream = StreamState{&request, handle, &transfer->response.body};
  if (request.on_body) {
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_stream);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer->stream);
  } else {
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer->response.body);
  }
  if (request.cancelled) {
    curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, check_cancelled);
    curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &request);
    curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  }
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.list);
  if (transfer->connect_to.list != nullptr)
    curl_easy_setopt(handle, CURLOPT_CONNECT_TO, transfer->connect_to.list);

  if (!config_.ca_pem.empty()) {
    set_blob(handle, CURLOPT_CAINFO_BLOB, config_.ca_pem);
    // Trust only the kubeconfig's CA, as client-go does: without this libcurl
    // would also trust its built-in bundle.
    curl_easy_setopt(handle, CURLOPT_CAINFO, nullptr);
    curl_easy_setopt(handle, CURLOPT_CAPATH, nullptr);
  }
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!request.client_cert_pem.empty()) {
    set_blob(handle, CURLOPT_SSLCERT_BLOB, request.client_cert_pem);
    curl_easy_setopt(handle, CURLOPT_SSLCERTTYPE, "PEM");
    set_blob(handle, CURLOPT_SSLKEY_BLOB, request.client_key_pem.reveal());
    curl_easy_setopt(handle, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (!config_.proxy_url.empty())
    curl_easy_setopt(handle, CURLOPT_PROXY, config_.proxy_url.c_str());
  if (!request.username.empty()) {
    curl_easy_setopt(handle, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(handle, CURLOPT_USERNAME, request.username.c_str());
    curl_easy_setopt(handle, CURLOPT_PASSWORD, request.password.reveal().c_str());
  }

  if (request.method == "GET") {
    curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  if (!request.long_lived) {
    // Waits for the connection being set up to say whether it multiplexes,
    // rather than opening another one beside it.
    curl_easy_setopt(handle, CURLOPT_PIPEWAIT, 1L);
  }
  return transfer;
}

Result<Response> Transport::finish(Transfer& transfer, int curl_code) {
  auto code = static_cast<CURLcode>(curl_code);
  CURL* handle = transfer.handle;
  Response& response = transfer.response;
  if (code == CURLE_WRITE_ERROR && transfer.stream.stopped) {
    code = CURLE_OK;
    response.stopped_early = true;
  }
  if (code == CURLE_ABORTED_BY_CALLBACK)
    return Error(Errc::interrupted, "cancelled");
  // An API server that refuses a request before reading it (401, 403 from its
  // authentication or authorization filters) may end the stream while the
  // rest is still on the wire: curl then reports a partial transfer (seen in
  // the lab with a revoked token). The status it answered is its answer.
  long answered = 0;
  if (code == CURLE_PARTIAL_FILE || code == CURLE_SEND_ERROR || code == CURLE_RECV_ERROR ||
      code == CURLE_HTTP2_STREAM || code == CURLE_HTTP2) {
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &answered);
    if (answered >= 400 && answered < 500)
      code = CURLE_OK;
  }
  if (code != CURLE_OK) {
    std::string detail =
        transfer.error_text[0] != '\0' ? std::string(transfer.error_text.data()) : curl_easy_strerror(code);
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' '))
      detail.pop_back();
    return Error(classify_curl_error(code, detail), detail);
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  char* content_type = nullptr;
  curl_easy_getinfo(handle, CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type != nullptr)
    response.content_type = content_type;
  response.retry_after = retry_after(handle);
  return std::move(response);
}

Result<Response> Transport::perform(const Request& request) {
  TRY_ASSIGN(auto transfer, prepare(request));
  // A stream (a watch, a followed log) stays open as long as its reader
  // wants, on a connection of its own, as before multiplexing: a long-lived
  // transfer never shares the fate of the short ones. Its on_body runs on the
  // caller's thread.
  if (request.long_lived)
    return finish(*transfer, curl_easy_perform(transfer->handle));
  std::optional<Result<Response>> answer;
  multiplexer().perform_all({{transfer->handle, transfer->timeout, poke_like(request)}},
                            config_.connect_timeout,
                            [&](std::size_t, CURLcode code) { answer.emplace(finish(*transfer, code)); });
  return std::move(*answer);
}

// The poke is GET /version, which every caller may read: it must go out with
// the same client certificate to share the connection, and with the same
// credentials so that it is not a failed login in the API server's audit log.
std::function<std::unique_ptr<Transfer>()> Transport::poke_like(const Request& request) const {
  return [this, &request]() -> std::unique_ptr<Transfer> {
    Request poke;
    poke.method = "GET";
    poke.path_and_query = "/version";
    poke.bearer_token = request.bearer_token;
    poke.username = request.username;
    poke.password = request.password;
    poke.client_cert_pem = request.client_cert_pem;
    poke.client_key_pem = request.client_key_pem;
    auto transfer = prepare(poke);  // copies what it needs: the handle does not point into `poke`
    return transfer ? std::move(*transfer) : nullptr;
  };
}

std::vector<Result<Response>> Transport::perform_all(const std::vector<Request>& requests) {
  std::vector<std::optional<Result<Response>>> answers(requests.size());
  std::vector<std::unique_ptr<Transfer>> transfers;
  std::vector<std::size_t> request_of;  // a transfer's index in `requests`
  std::vector<Multiplexer::Job> jobs;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto transfer = prepare(requests[i]);
    if (!transfer) {
      answers[i].emplace(transfer.error());
      continue;
    }
    jobs.push_back({(*transfer)->handle, (*transfer)->timeout, poke_like(requests[i])});
    transfers.push_back(std::move(*transfer));
    request_of.push_back(i);
  }
  multiplexer().perform_all(jobs, config_.connect_timeout, [&](std::size_t t, CURLcode code) {
    answers[request_of[t]].emplace(finish(*transfers[t], code));
    transfers[t].reset();
  });
  std::vector<Result<Response>> out;
  out.reserve(answers.size());
  for (auto& answer : answers)
    out.push_back(std::move(*answer));
  return out;
}

}  // namespace meshctl::kube::http
