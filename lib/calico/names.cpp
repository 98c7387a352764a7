#include "calico/names.h"

#include <cctype>

namespace meshctl::calico {
namespace {

std::string_view last_segment(std::string_view context) {
  if (context.rfind("arn:", 0) == 0) {
    if (auto slash = context.rfind('/'); slash != std::string_view::npos)
      return context.substr(slash + 1);
  }
  if (context.rfind("gke_", 0) == 0) {
    if (auto underscore = context.rfind('_'); underscore != std::string_view::npos) {
      return context.substr(underscore + 1);
    }
  }
  return context;
}

}  // namespace

std::string mesh_name_from_context(std::string_view context) {
  std::string out;
  for (char raw : last_segment(context)) {
    auto c = static_cast<unsigned char>(raw);
    if (std::isalnum(c)) {
      out.push_back(static_cast<char>(std::tolower(c)));
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');  // any run of other characters becomes one dash
    }
  }
  if (out.size() > 63)
    out.resize(63);
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  return out;
}

bool is_dns1123_label(std::string_view name) {
  if (name.empty() || name.size() > 63)
    return false;
  for (char raw : name) {
    auto c = static_cast<unsigned char>(raw);
    if (!(std::islower(c) || std::isdigit(c) || c == '-'))
      return false;
  }
  return name.front() != '-' && name.back() != '-';
}

std::string managed_selector() {
  return std::string(kManagedByLabel) + "=" + std::string(kManagedByValue);
}

std::string federation_token_secret_name(int generation) {
  return generation <= 0 ? std::string(kFederationName)
                         : std::string(kFederationName) + "-r" + std::to_string(generation);
}

std::string remote_secret_name(std::string_view remote_mesh_name) {
  return "remote-cluster-" + std::string(remote_mesh_name);
}

std::string remote_pool_name(std::string_view remote_mesh_name, std::string_view cidr) {
  std::string name = remote_secret_name(remote_mesh_name) + "-";
  for (char c : cidr) {
    const bool keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
    name += keep ? c : (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : '-';
  }
  return name;
}

}  // namespace meshctl::calico
