#include <doctest/doctest.h>

#include <string>

#include "kube/client.h"
#include "kube/http.h"
#include "util/log.h"

using meshctl::Errc;
using meshctl::errc_name;
using meshctl::kube::decode_api_error;

namespace {

std::string status_body(int code, const std::string& reason, const std::string& message) {
  return meshctl::kube::Json{
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", meshctl::kube::Json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}}
      .dump();
}

const std::string what = "iad: GET /api/v1/namespaces/calico-system/secrets/x";

}  // namespace

TEST_CASE("decode_api_error maps HTTP status and Status reason to Errc") {
  struct Row {
    long status;
    std::string reason;
    Errc expected;
  };
  const Row table[] = {
      {400, "BadRequest", Errc::bad_request},
      {401, "Unauthorized", Errc::unauthorized},
      {403, "Forbidden", Errc::forbidden},
      {404, "NotFound", Errc::not_found},
      {409, "AlreadyExists", Errc::already_exists},
      {409, "Conflict", Errc::conflict},
      {409, "", Errc::conflict},
      {410, "Expired", Errc::api_other},
      {422, "Invalid", Errc::invalid},
      {429, "TooManyRequests", Errc::too_many_requests},
      {500, "InternalError", Errc::server_error},
      {500, "ServerTimeout", Errc::server_timeout},
      {503, "ServiceUnavailable", Errc::server_error},
      {504, "Timeout", Errc::server_timeout},
      {504, "", Errc::server_timeout},
      {405, "MethodNotAllowed", Errc::api_other},
      {302, "", Errc::api_other},
  };
  for (const auto& row : table) {
    CAPTURE(row.status);
    CAPTURE(row.reason);
    auto error =
        decode_api_error(row.status, status_body(static_cast<int>(row.status), row.reason, "m"), what);
    CHECK(error.code == row.expected);
    CHECK(error.http_status == row.status);
    CHECK(error.message.rfind(what + ": ", 0) == 0);
  }
}

TEST_CASE("decode_api_error message: context, request, reason and the server's message") {
  auto error = decode_api_error(403,
                                status_body(403, "Forbidden",
                                            "secrets \"x\" is forbidden: User \"bob\" cannot get resource "
                                            "\"secrets\" in the namespace \"calico-system\""),
                                what);
  CHECK(error.message ==
        what +
            ": Forbidden: secrets \"x\" is forbidden: User \"bob\" cannot get resource \"secrets\" "
            "in the namespace \"calico-system\"");
  CHECK_FALSE(error.hint.empty());

  auto unauthorized = decode_api_error(401, status_body(401, "Unauthorized", "Unauthorized"), what);
  CHECK(unauthorized.hint.find("expired") != std::string::npos);
}

TEST_CASE("decode_api_error without a Status body") {
  SUBCASE("empty body names the status") {
    auto error = decode_api_error(404, "", what);
    CHECK(error.code == Errc::not_found);
    CHECK(error.message == what + ": NotFound (HTTP 404)");
  }
  SUBCASE("plain text from a proxy shows one short line") {
    auto error = decode_api_error(502, "<html>Bad Gateway</html>\nmore\n", what);
    CHECK(error.code == Errc::server_error);
    CHECK(error.message == what + ": ServerError: <html>Bad Gateway</html>");
    auto long_body = decode_api_error(500, std::string(1000, 'a'), what);
    CHECK(long_body.message.size() < what.size() + 250);
  }
  SUBCASE("JSON that is not a Status is never shown: it could be a Secret") {
    std::string secret = R"({"kind":"Secret","data":{"token":"c2VjcmV0LXZhbHVl"}})";
    auto error = decode_api_error(409, secret, what);
    CHECK(error.code == Errc::conflict);
    CHECK(error.message.find("c2VjcmV0LXZhbHVl") == std::string::npos);
    CHECK(error.message == what + ": Conflict (HTTP 409)");
  }
  SUBCASE("malformed Status fields do not throw") {
    auto error = decode_api_error(404, R"({"kind":"Status","reason":7,"message":["x"]})", what);
    CHECK(error.code == Errc::not_found);
    auto odd = decode_api_error(400, R"({"kind":5})", what);
    CHECK(odd.code == Errc::bad_request);
    auto array = decode_api_error(400, "[1,2]", what);
    CHECK(array.code == Errc::bad_request);
  }
}

TEST_CASE("decode_api_error redacts registered secrets echoed by the server") {
  meshctl::log::register_secret("echoed-token-0123456789");
  auto error =
      decode_api_error(422, status_body(422, "Invalid", "value echoed-token-0123456789 is invalid"), what);
  CHECK(error.code == Errc::invalid);
  CHECK(error.message.find("echoed-token") == std::string::npos);
  CHECK(error.message.find("<redacted>") != std::string::npos);
}

TEST_CASE("libcurl failures are classified apart from API answers") {
  using meshctl::kube::http::classify_curl_error;
  CHECK(classify_curl_error(6, "Could not resolve host: x") == Errc::transport_dns);  // COULDNT_RESOLVE_HOST
  CHECK(classify_curl_error(7, "Failed to connect") == Errc::transport_refused);      // COULDNT_CONNECT
  CHECK(classify_curl_error(28, "Operation timed out") == Errc::transport_timeout);   // OPERATION_TIMEDOUT
  CHECK(classify_curl_error(60, "SSL certificate problem") ==
        Errc::transport_tls);                                                  // PEER_FAILED_VERIFICATION
  CHECK(classify_curl_error(35, "SSL connect error") == Errc::transport_tls);  // SSL_CONNECT_ERROR
  CHECK(classify_curl_error(56, "OpenSSL SSL_read: tlsv13 alert") == Errc::transport_tls);  // RECV_ERROR
  CHECK(classify_curl_error(56, "Connection reset by peer") == Errc::transport_refused);    // RECV_ERROR
  CHECK(classify_curl_error(52, "Empty reply from server") == Errc::transport_other);       // GOT_NOTHING
  for (Errc code : {Errc::transport_dns, Errc::transport_refused, Errc::transport_tls,
                    Errc::transport_timeout, Errc::transport_other}) {
    CHECK(meshctl::is_transport(code));
  }
  CHECK_FALSE(meshctl::is_transport(Errc::server_timeout));
  CHECK(std::string(errc_name(Errc::transport_tls)) == "TLS");
}
