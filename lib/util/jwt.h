// Reading (not verifying) a JWT's claims: enough to tell a bound token's expiry.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace meshctl {

// The claims object, or an empty object when the token is not a JWT.
nlohmann::json jwt_claims(const std::string& token);
// The "exp" claim (seconds since the epoch) when present.
std::optional<long long> jwt_expiry(const std::string& token);

}  // namespace meshctl
