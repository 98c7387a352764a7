// Errors as values: every fallible function in lib/ returns Result<T>, and only
// the CLI edge turns an Error into a message and an exit code.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace meshctl {

// What went wrong, coarse enough for callers to branch on. Transport failures are
// kept apart from answers the API server gave, because the fixes differ.
enum class Errc {
  usage,              // bad flags or arguments
  config,             // kubeconfig or other local configuration is wrong
  credential,         // an exec credential plugin failed or is missing
  transport_dns,      // host name did not resolve
  transport_refused,  // nothing listening / connection refused or reset
  transport_tls,      // TLS handshake or certificate verification failed
  transport_timeout,  // connect or request timed out
  transport_other,    // any other libcurl failure
  unauthorized,       // HTTP 401
  forbidden,          // HTTP 403
  not_found,          // HTTP 404
  already_exists,     // HTTP 409, reason AlreadyExists
  conflict,           // HTTP 409, other reasons
  invalid,            // HTTP 422
  bad_request,        // HTTP 400
  too_many_requests,  // HTTP 429
  server_timeout,     // HTTP 504, or Status reason Timeout
  server_error,       // other HTTP 5xx
  api_other,          // any other non-success HTTP answer
  not_ready,          // a wait ran out of time (token never filled, link never synced)
  precondition,       // preflight found a problem
  interrupted,        // SIGINT / SIGTERM
  internal,           // a bug in meshctl
};

const char* errc_name(Errc code);
bool is_transport(Errc code);

struct Error {
  Errc code = Errc::internal;
  // One line, says what failed and where (cluster/context, request).
  std::string message;
  // What the user can do about it; may be empty.
  std::string hint;
  // HTTP status when the error came from an API answer, else 0.
  int http_status = 0;
  // Further errors of the same step, each with its own message and hint (e.g.
  // several contexts that cannot be opened): one line each, after this one.
  std::vector<Error> also;

  Error() = default;
  Error(Errc c, std::string msg, std::string hint_text = {}, int status = 0)
      : code(c), message(std::move(msg)), hint(std::move(hint_text)), http_status(status) {}

  // Returns a copy whose message is "prefix: message".
  [[nodiscard]] Error wrap(const std::string& prefix) const;
};

}  // namespace meshctl
