#include "util/base64.h"

#include <array>
#include <cstdint>

namespace meshctl {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int kInvalid = -1;

constexpr std::array<int, 256> make_table() {
  std::array<int, 256> table{};
  table.fill(kInvalid);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  }
  return table;
}

constexpr std::array<int, 256> kTable = make_table();

Error invalid_at(std::size_t pos) {
  return Error(Errc::config, "invalid base64 at byte " + std::to_string(pos));
}

}  // namespace

Result<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t group = 0;
  int in_group = 0;  // sextets collected in the current 4-character group
  int padding = 0;   // '=' seen; only more '=' (or line breaks) may follow
  std::size_t last_pos = 0;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == '\r' || c == '\n')
      continue;
    last_pos = pos;
    if (c == '=') {
      // Padding may only complete a group that has 2 or 3 characters.
      if (in_group + padding < 2)
        return invalid_at(pos);
      ++padding;
      if (in_group + padding > 4)
        return invalid_at(pos);
      continue;
    }
    const int value = kTable[static_cast<unsigned char>(c)];
    if (value == kInvalid || padding > 0)
      return invalid_at(pos);
    group = (group << 6) | static_cast<std::uint32_t>(value);
    if (++in_group == 4) {
      out.push_back(static_cast<char>((group >> 16) & 0xff));
      out.push_back(static_cast<char>((group >> 8) & 0xff));
      out.push_back(static_cast<char>(group & 0xff));
      group = 0;
      in_group = 0;
    }
  }
  if (in_group == 0 && padding == 0)
    return out;
  if (in_group + padding != 4) {
    // The usual cause: a value cut short when it was copied.
    return Error(Errc::config, "invalid base64: ends in the middle of a 4-character group at byte " +
                                   std::to_string(last_pos + 1) + " (truncated?)");
  }
  if (in_group == 2) {
    out.push_back(static_cast<char>((group >> 4) & 0xff));
  } else {
    out.push_back(static_cast<char>((group >> 10) & 0xff));
    out.push_back(static_cast<char>((group >> 2) & 0xff));
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = byte(i) << 16;
    if (rest == 2)
      n |= byte(i + 1) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace meshctl
