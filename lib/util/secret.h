// A credential held in memory. It has no stream or fmt output of its own value:
// formatting a Secret prints "<redacted>", so a token cannot reach a log or an
// error message by accident. Code that must send it calls reveal() explicitly.
#pragma once

#include <fmt/format.h>

#include <string>
#include <utility>

namespace meshctl {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  bool operator==(const Secret& other) const = default;

 private:
  std::string value_;
};

}  // namespace meshctl

template <>
struct fmt::formatter<meshctl::Secret> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const meshctl::Secret&, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
