// Result<T>: a value or an Error, shaped like C++23's std::expected so that a
// later move to it is mechanical. TRY / TRY_ASSIGN pass errors up one level.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "util/error.h"

namespace meshctl {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }
  template <class U>
  T value_or(U&& fallback) const {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace meshctl

#define MESHCTL_CONCAT_INNER(a, b) a##b
#define MESHCTL_CONCAT(a, b) MESHCTL_CONCAT_INNER(a, b)

// TRY(expr): return expr's error from the enclosing function if it has one.
#define TRY(expr)                 \
  do {                            \
    auto&& try_result_ = (expr);  \
    if (!try_result_) {           \
      return try_result_.error(); \
    }                             \
  } while (false)

// TRY_ASSIGN(decl, expr): `decl = *expr`, or return expr's error.
#define TRY_ASSIGN(decl, expr) TRY_ASSIGN_IMPL(MESHCTL_CONCAT(try_result_, __LINE__), decl, expr)
#define TRY_ASSIGN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                     \
  if (!tmp) {                            \
    return tmp.error();                  \
  }                                      \
  decl = std::move(*tmp)
