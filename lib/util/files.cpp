#include "util/files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace meshctl::files {

Result<std::string> read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Error(Errc::config, "cannot read " + path + ": is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(Errc::config, "cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return Error(Errc::config, "cannot read " + path + ": read error");
  }
  return buffer.str();
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

bool is_absolute(const std::string& path) {
  return !path.empty() && path.front() == '/';
}

std::string dirname(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

std::string join(const std::string& dir, const std::string& path) {
  if (is_absolute(path) || dir.empty())
    return path;
  // Cleaned like Go's filepath.Join, so "dir/./bin/x" reads as "dir/bin/x".
  return (std::filesystem::path(dir) / path).lexically_normal().string();
}

std::string absolute(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  if (ec)
    return path;
  return abs.lexically_normal().string();
}

}  // namespace meshctl::files
