#include "util/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>

namespace meshctl::log {
namespace {

std::atomic<Level> g_level{Level::warn};

// Longest first, so a secret that begins another is not replaced inside it
// before the longer one is.
struct LongestFirst {
  bool operator()(const std::string& a, const std::string& b) const {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  }
};

struct Registry {
  std::mutex mutex;
  std::set<std::string, LongestFirst> secrets;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::mutex& output_mutex() {
  static std::mutex m;
  return m;
}

const char* prefix(Level l) {
  switch (l) {
    case Level::error:
      return "error: ";
    case Level::warn:
      return "warning: ";
    case Level::info:
      return "";
    case Level::debug:
      return "debug: ";
  }
  return "";
}

}  // namespace

void set_level(Level l) {
  g_level = l;
}
Level level() {
  return g_level;
}
bool enabled(Level l) {
  return static_cast<int>(l) <= static_cast<int>(g_level.load());
}

void register_secret(std::string_view value) {
  if (value.size() < 8)
    return;
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.secrets.emplace(value);
}

std::string redact(std::string_view text) {
  constexpr std::string_view kRedacted = "<redacted>";
  std::string out(text);
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& secret : r.secrets) {
    // Search on after the replacement: a secret that occurs in "<redacted>"
    // itself (e.g. the password "redacted") would otherwise loop forever.
    for (auto pos = out.find(secret); pos != std::string::npos;
         pos = out.find(secret, pos + kRedacted.size())) {
      out.replace(pos, secret.size(), kRedacted);
    }
  }
  return out;
}

void write(Level l, std::string_view message) {
  std::string line = redact(message);
  std::lock_guard lock(output_mutex());
  std::fprintf(stderr, "%s%s\n", prefix(l), line.c_str());
}

}  // namespace meshctl::log
