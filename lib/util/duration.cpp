#include "util/duration.h"

#include <cctype>
#include <cmath>
#include <string_view>

namespace meshctl {
namespace {

// Milliseconds per unit; 0 when the unit is unknown.
double unit_ms(std::string_view unit) {
  if (unit == "ns")
    return 1e-6;
  if (unit == "us" || unit == "µs")
    return 1e-3;
  if (unit == "ms")
    return 1;
  if (unit == "s")
    return 1000;
  if (unit == "m")
    return 60e3;
  if (unit == "h")
    return 3600e3;
  if (unit == "d")
    return 86400e3;
  return 0;
}

Error invalid(const std::string& text) {
  return Error(Errc::usage, "invalid duration \"" + text + "\"", "use e.g. 90s, 5m, 1h30m or 30d");
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(const std::string& text) {
  if (text.empty())
    return invalid(text);
  bool all_digits = true;
  for (char ch : text)
    all_digits = all_digits && std::isdigit(static_cast<unsigned char>(ch));
  if (all_digits)  // a bare number: seconds (and "0")
    return text.size() > 12 ? Result<std::chrono::milliseconds>(invalid(text))
                            : std::chrono::milliseconds(std::stoll(text) * 1000);
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    const std::string number_text = text.substr(start, i - start);
    if (number_text.empty() || number_text.size() > 12 || number_text.find('.') != number_text.rfind('.') ||
        number_text == ".")
      return invalid(text);
    double number = std::stod(number_text);
    size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.')
      ++i;
    double per = unit_ms(std::string_view(text).substr(unit_start, i - unit_start));
    if (per == 0)
      return invalid(text);
    total_ms += number * per;
  }
  if (total_ms > 1e15)
    return invalid(text);
  return std::chrono::milliseconds(static_cast<long long>(total_ms));
}

}  // namespace meshctl
