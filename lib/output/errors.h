// How an error reaches the user: one line per problem, each saying where
// (cluster/context), what went wrong and how to fix it.
#pragma once

#include <string>

#include "util/error.h"

namespace meshctl::output {

// "meshctl: error: <message> (hint: <hint>)\n". A message that holds several
// problems (one per line) gets the prefix on each line, so every line stands
// alone in a log; the hint goes on the last. Not redacted: the caller is.
std::string error_lines(const Error& error);

// "<message> (hint: <hint>)", or the message alone: the one place a hint is
// put into words, for every view that prints one.
std::string with_hint(const std::string& message, const std::string& hint);

}  // namespace meshctl::output
