// Base64 (RFC 4648 standard alphabet) as kubeconfig files and exec plugins use
// it. The decoder is strict like Go's encoding/base64.StdEncoding, which is what
// kubectl applies to *-data fields: padding is required, CR/LF are skipped, any
// other character outside the alphabet is an error.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace meshctl {

// Errc::config with a message such as "invalid base64 at byte 12"; callers
// prefix where the text came from.
Result<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

}  // namespace meshctl
