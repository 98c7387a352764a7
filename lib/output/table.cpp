#include "output/table.h"

#include <algorithm>

namespace meshctl::output {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

size_t visible_width(const std::string& text) {
  size_t width = 0;
  bool in_escape = false;
  for (char c : text) {
    if (c == '\033') {
      in_escape = true;
    } else if (in_escape) {
      if (c == 'm')
        in_escape = false;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++width;  // count UTF-8 lead bytes only
    }
  }
  return width;
}

std::string Table::render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i)
    widths[i] = visible_width(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], visible_width(row[i]));
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      line += cells[i];
      if (i + 1 < cells.size())
        line += std::string(widths[i] - visible_width(cells[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out += line + "\n";
  };
  emit(headers_);
  for (const auto& row : rows_)
    emit(row);
  return out;
}

}  // namespace meshctl::output
