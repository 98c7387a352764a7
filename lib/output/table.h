// Aligned text tables, kubectl style: upper-case headers, two spaces between
// columns, no borders. Colour codes are not counted as width.
#pragma once

#include <string>
#include <vector>

namespace meshctl::output {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void add_row(std::vector<std::string> cells);
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Visible width of text that may contain ANSI colour codes.
size_t visible_width(const std::string& text);

}  // namespace meshctl::output
