// Durations as kubectl users type them: Go's syntax ("90s", "1h30m", "500ms",
// "0"), plus "d" for days and a bare number meaning seconds.
#pragma once

#include <chrono>
#include <string>

#include "util/result.h"

namespace meshctl {

// Errc::usage with an example when the text is not a duration (negative
// ones included).
Result<std::chrono::milliseconds> parse_duration(const std::string& text);

}  // namespace meshctl
