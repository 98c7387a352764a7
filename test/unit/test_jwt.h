// Building JWTs for tests: base64url without padding, as JWTs carry it.
#pragma once

#include <string>

#include "util/base64.h"

namespace meshctl::test {

inline std::string b64url(const std::string& text) {
  std::string s = meshctl::base64_encode(text);
  for (char& c : s) {
    if (c == '+')
      c = '-';
    if (c == '/')
      c = '_';
  }
  while (!s.empty() && s.back() == '=')
    s.pop_back();
  return s;
}

}  // namespace meshctl::test
