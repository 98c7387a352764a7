#include "util/jwt.h"

#include <algorithm>

#include "util/base64.h"

namespace meshctl {

nlohmann::json jwt_claims(const std::string& token) {
  auto first = token.find('.');
  if (first == std::string::npos)
    return nlohmann::json::object();
  auto second = token.find('.', first + 1);
  if (second == std::string::npos)
    return nlohmann::json::object();
  std::string payload = token.substr(first + 1, second - first - 1);
  std::replace(payload.begin(), payload.end(), '-', '+');  // base64url -> base64
  std::replace(payload.begin(), payload.end(), '_', '/');
  while (payload.size() % 4 != 0)
    payload.push_back('=');
  auto decoded = base64_decode(payload);
  if (!decoded)
    return nlohmann::json::object();
  auto claims = nlohmann::json::parse(*decoded, nullptr, false);
  return claims.is_object() ? claims : nlohmann::json::object();
}

std::optional<long long> jwt_expiry(const std::string& token) {
  auto claims = jwt_claims(token);
  auto it = claims.find("exp");
  if (it == claims.end() || !it->is_number())
    return std::nullopt;
  return it->get<long long>();
}

}  // namespace meshctl
