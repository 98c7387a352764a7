// The long help of every command, in one place so that the commands speak
// with one voice: what a command does beyond its summary, and examples.
#pragma once

#include <string>
#include <string_view>

namespace meshctl::cli {

// The text after the flags in `meshctl COMMAND --help` (and the man page);
// empty for a command without one.
std::string long_help(std::string_view command);

}  // namespace meshctl::cli
