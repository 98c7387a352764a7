#include "util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

Status make_directories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec)
    return Error(Errc::config, "cannot create directory " + path + ": " + ec.message());
  return {};
}

Result<std::vector<std::string>> list_files(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file())
      names.push_back(entry.path().filename().string());
  }
  if (ec)
    return Error(Errc::config, "cannot list " + dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

Status write_file(const std::string& path, const std::string& content, unsigned mode) {
  const std::string temporary = path + ".meshctl-tmp";
  ::unlink(temporary.c_str());  // a leftover could have a wider mode: start afresh
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0)
    return Error(Errc::config, "cannot write " + path + ": " + std::strerror(errno));
  // open() honours the umask and an existing file keeps its mode: set it.
  bool ok = ::fchmod(fd, static_cast<mode_t>(mode)) == 0;
  size_t written = 0;
  while (ok && written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0;
    if (ok)
      written += static_cast<size_t>(n);
  }
  int saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
    saved = ok ? errno : saved;
    ::unlink(temporary.c_str());
    return Error(Errc::config, "cannot write " + path + ": " + std::strerror(saved));
  }
  return {};
}

Status remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error(Errc::config, "cannot remove " + path + ": " + std::strerror(errno));
  return {};
}

}  // namespace meshctl::files
