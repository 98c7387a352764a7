#include "output/errors.h"

namespace meshctl::output {

std::string error_lines(const Error& error) {
  std::string text = error.message;
  if (!error.hint.empty())
    text += " (hint: " + error.hint + ")";
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
