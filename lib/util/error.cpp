#include "util/error.h"

namespace meshctl {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::usage:
      return "Usage";
    case Errc::config:
      return "Config";
    case Errc::credential:
      return "Credential";
    case Errc::transport_dns:
      return "DNS";
    case Errc::transport_refused:
      return "ConnectionRefused";
    case Errc::transport_tls:
      return "TLS";
    case Errc::transport_timeout:
      return "Timeout";
    case Errc::transport_other:
      return "Transport";
    case Errc::unauthorized:
      return "Unauthorized";
    case Errc::forbidden:
      return "Forbidden";
    case Errc::not_found:
      return "NotFound";
    case Errc::already_exists:
      return "AlreadyExists";
    case Errc::conflict:
      return "Conflict";
    case Errc::invalid:
      return "Invalid";
    case Errc::bad_request:
      return "BadRequest";
    case Errc::too_many_requests:
      return "TooManyRequests";
    case Errc::server_timeout:
      return "ServerTimeout";
    case Errc::server_error:
      return "ServerError";
    case Errc::api_other:
      return "APIError";
    case Errc::not_ready:
      return "NotReady";
    case Errc::precondition:
      return "Precondition";
    case Errc::interrupted:
      return "Interrupted";
    case Errc::internal:
      return "Internal";
  }
  return "Unknown";
}

bool is_transport(Errc code) {
  return code == Errc::transport_dns || code == Errc::transport_refused || code == Errc::transport_tls ||
         code == Errc::transport_timeout || code == Errc::transport_other;
}

Error Error::wrap(const std::string& prefix) const {
  Error copy = *this;
  copy.message = prefix + ": " + message;
  return copy;
}

}  // namespace meshctl
