// Small filesystem helpers with errors as values.
#pragma once

#include <string>

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

}  // namespace meshctl::files
