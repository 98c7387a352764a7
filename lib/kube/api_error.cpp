// decode_api_error: an API server's non-success answer as a typed Error.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kube/client.h"
#include "util/log.h"

namespace meshctl::kube {
namespace {

struct StatusBody {
  std::string reason;
  std::string message;
  bool is_status = false;  // the body was a Kubernetes Status object
  bool is_json = false;
};

StatusBody parse_status(const std::string& body) {
  StatusBody out;
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded())
    return out;
  out.is_json = true;
  if (!json.is_object() || !json.contains("kind") || json["kind"] != "Status")
    return out;
  out.is_status = true;
  if (json.contains("reason") && json["reason"].is_string())
    out.reason = json["reason"].get<std::string>();
  if (json.contains("message") && json["message"].is_string())
    out.message = json["message"].get<std::string>();
  return out;
}

Errc code_for(long status, const std::string& reason) {
  if (reason == "Timeout" || reason == "ServerTimeout")
    return Errc::server_timeout;
  switch (status) {
    case 400:
      return Errc::bad_request;
    case 401:
      return Errc::unauthorized;
    case 403:
      return Errc::forbidden;
    case 404:
      return Errc::not_found;
    case 409:
      return reason == "AlreadyExists" ? Errc::already_exists : Errc::conflict;
    case 422:
      return Errc::invalid;
    case 429:
      return Errc::too_many_requests;
    case 504:
      return Errc::server_timeout;
    default:
      return status >= 500 && status <= 599 ? Errc::server_error : Errc::api_other;
  }
}

// A non-Status body (a proxy's HTML page, plain text from a pod) is shown as one
// short line. JSON that is not a Status could be an object, possibly a Secret,
// so it is never shown.
std::string snippet(const std::string& body) {
  std::string line = body.substr(0, body.find('\n'));
  if (line.size() > 200)
    line = line.substr(0, 200) + "...";
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20)
      c = ' ';
  }
  while (!line.empty() && line.back() == ' ')
    line.pop_back();
  return line;
}

std::string hint_for(Errc code) {
  switch (code) {
    case Errc::unauthorized:
      return "the credentials were rejected: they may have expired or be invalid; refresh them (for cloud "
             "clusters, log in again) or check the kubeconfig user";
    case Errc::forbidden:
      return "the kubeconfig user lacks the RBAC permission for this request";
    case Errc::too_many_requests:
      return "the API server is throttling requests; try again later";
    case Errc::server_timeout:
    case Errc::server_error:
      return "the API server had a problem; check its health and try again";
    default:
      return {};
  }
}

}  // namespace

Error decode_api_error(long http_status, const std::string& body, const std::string& what) {
  StatusBody status = parse_status(body);
  Errc code = code_for(http_status, status.reason);
  std::string label = status.reason.empty() ? std::string(errc_name(code)) : status.reason;
  std::string detail;
  if (status.is_status) {
    detail = status.message;
  } else if (!status.is_json) {
    detail = snippet(body);
  }
  std::string message = detail.empty() ? fmt::format("{}: {} (HTTP {})", what, label, http_status)
                                       : fmt::format("{}: {}: {}", what, label, log::redact(detail));
  return Error(code, std::move(message), hint_for(code), static_cast<int>(http_status));
}

}  // namespace meshctl::kube
