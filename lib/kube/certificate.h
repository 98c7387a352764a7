// Reading a PEM certificate's validity, so an error about a rejected client
// certificate can say that it expired, and when.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace meshctl::kube {

// notAfter of the first certificate in `pem`; nullopt when there is none or it
// cannot be parsed.
std::optional<std::chrono::system_clock::time_point> certificate_not_after(const std::string& pem);

// "2020-01-02 00:00 UTC"
std::string format_utc_minute(std::chrono::system_clock::time_point when);

}  // namespace meshctl::kube
