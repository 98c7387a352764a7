// Diagnostics on stderr. Every line passes through the redactor, which replaces
// any registered secret value (tokens, keys, certificates seen at run time) with
// "<redacted>": redaction happens here, once, not at every call site.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace meshctl::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

void set_level(Level level);
Level level();
bool enabled(Level level);

// Remember a value that must never be printed. Values shorter than 8 bytes are
// ignored (they would redact ordinary words).
void register_secret(std::string_view value);
// Returns text with every registered secret replaced.
std::string redact(std::string_view text);

void write(Level level, std::string_view message);

template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::debug))
    write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::info))
    write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::warn))
    write(Level::warn, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace meshctl::log
