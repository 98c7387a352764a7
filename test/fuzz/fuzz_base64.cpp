// Fuzzes base64_decode, and checks two properties: encoding any bytes and
// decoding them gives the bytes back, and whatever the decoder accepts
// re-encodes to something it accepts with the same result.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "util/base64.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_base64: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string encoded = meshctl::base64_encode(bytes);
  const auto round_trip = meshctl::base64_decode(encoded);
  check(round_trip.has_value() && *round_trip == bytes, "decode(encode(x)) != x");

  const auto decoded = meshctl::base64_decode(bytes);
  if (decoded) {
    const auto again = meshctl::base64_decode(meshctl::base64_encode(*decoded));
    check(again.has_value() && *again == *decoded, "decode(encode(decode(x))) != decode(x)");
  }
  return 0;
}
