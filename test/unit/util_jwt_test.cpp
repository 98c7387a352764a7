#include <doctest/doctest.h>

#include "test_jwt.h"
#include "util/base64.h"
#include "util/jwt.h"

using meshctl::test::b64url;

TEST_CASE("jwt claims are read without verification") {
  std::string bound =
      b64url(R"({"alg":"RS256"})") + "." + b64url(R"({"exp":1700003600,"iat":1700000000})") + ".sig";
  CHECK(meshctl::jwt_expiry(bound) == 1700003600);
  std::string legacy = b64url("{}") + "." + b64url(R"({"iss":"kubernetes/serviceaccount"})") + ".sig";
  CHECK_FALSE(meshctl::jwt_expiry(legacy));
  CHECK(meshctl::jwt_claims(legacy).value("iss", "") == "kubernetes/serviceaccount");
  CHECK(meshctl::jwt_claims("not-a-jwt").empty());
  CHECK(meshctl::jwt_claims("a.!!!.c").empty());
}
