#include "output/errors.h"

namespace meshctl::output {

std::string with_hint(const std::string& message, const std::string& hint) {
  return hint.empty() ? message : message + " (hint: " + hint + ")";
}

std::string error_lines(const Error& error) {
  std::string text = with_hint(error.message, error.hint);
  for (const auto& more : error.also) {
    text += '\n';
    text += with_hint(more.message, more.hint);
  }
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    if (end > start)
      out += "meshctl: error: " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace meshctl::output
