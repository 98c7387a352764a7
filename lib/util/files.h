// Small filesystem helpers with errors as values.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace meshctl::files {

// Whole file as bytes. Errc::config, message "cannot read PATH: reason".
Result<std::string> read_file(const std::string& path);
bool exists(const std::string& path);

bool is_absolute(const std::string& path);
// "a/b/c" -> "a/b"; "c" -> "."; "/c" -> "/".
std::string dirname(const std::string& path);
// Joins and cleans ("." and ".." folded) unless `path` is already absolute
// (then returns it unchanged).
std::string join(const std::string& dir, const std::string& path);
// Makes a path absolute against the current directory, lexically (no symlinks).
std::string absolute(const std::string& path);

// Creates a directory and its parents (mode 0755 before the umask).
Status make_directories(const std::string& path);
// Regular files directly in `dir`, by name, sorted; Errc::config when unreadable.
Result<std::vector<std::string>> list_files(const std::string& dir);
// Writes `content` to `path` with exactly `mode` (0600 for credentials, never
// wider for a moment): a temporary file in the same directory, renamed over
// `path`, so a reader sees the old or the new file, never half of one.
Status write_file(const std::string& path, const std::string& content, unsigned mode);
Status remove_file(const std::string& path);

}  // namespace meshctl::files
