// Fuzzes the API error decoder: the first two bytes pick the HTTP status
// (0..999, so every mapped code and the ranges around them are reached), the
// rest is the response body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kube/client.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  const long status = static_cast<long>((static_cast<unsigned>(data[0]) << 8 | data[1]) % 1000);
  const std::string body(reinterpret_cast<const char*>(data + 2), size - 2);
  const meshctl::Error error = meshctl::kube::decode_api_error(status, body, "fuzz");
  (void)meshctl::errc_name(error.code);
  (void)meshctl::is_transport(error.code);
  return 0;
}
