// Fuzzes the kubeconfig parser: parse_kubeconfig, then resolve() of every
// context and of the current one, and the redactor on each error (the CLI
// prints errors through it).
//
// resolve() reads certificate-authority, tokenFile, client-certificate and
// client-key files. Relative paths resolve against kBaseDir, which must not
// exist, so those reads fail; an input whose file fields would leave kBaseDir
// (an absolute path, "../", a NUL byte) is parsed but not resolved, so the
// fuzzer never opens /dev/zero, a FIFO or any other real file.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <string>

#include "kube/kubeconfig.h"
#include "util/files.h"
#include "util/log.h"

namespace {

constexpr const char* kBaseDir = "/nonexistent";

bool stays_in_base_dir(const YAML::Node& node) {
  if (!node || node.IsNull())
    return true;
  if (!node.IsScalar())
    return false;
  const std::string& path = node.Scalar();
  if (path.empty())
    return true;
  if (path.find('\0') != std::string::npos)
    return false;
  const std::string joined = meshctl::files::join(kBaseDir, path);
  return joined.rfind(std::string(kBaseDir) + "/", 0) == 0;
}

// Every file field of every entry, looked up the way the parser does (const
// access, so yaml-cpp adds nothing). Any unexpected shape counts as unsafe.
bool file_fields_are_safe(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return false;
  }
  if (!root || root.IsNull())
    return true;
  if (!root.IsMap())
    return false;
  const YAML::Node& const_root = root;
  struct List {
    const char* key;
    const char* body;
    std::initializer_list<const char*> fields;
  };
  for (const List& list : {List{"clusters", "cluster", {"certificate-authority"}},
                           List{"users", "user", {"tokenFile", "client-certificate", "client-key"}}}) {
    const YAML::Node entries = const_root[list.key];
    if (!entries || entries.IsNull())
      continue;
    if (!entries.IsSequence())
      return false;
    for (const auto& item : entries) {
      if (!item.IsMap())
        return false;
      const YAML::Node body = item[list.body];
      if (!body || body.IsNull())
        continue;
      if (!body.IsMap())
        return false;
      for (const char* field : list.fields) {
        if (!stays_in_base_dir(body[field]))
          return false;
      }
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (std::filesystem::exists(kBaseDir)) {
    std::fprintf(stderr, "fuzz_kubeconfig: %s exists; remove it (the fuzzer relies on it being absent)\n",
                 kBaseDir);
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = meshctl::kube::parse_kubeconfig(text, "fuzz", kBaseDir);
  if (!config) {
    (void)meshctl::log::redact(config.error().message);
    return 0;
  }
  const auto contexts = config->contexts();
  if (!file_fields_are_safe(text))
    return 0;
  for (const auto& context : contexts) {
    (void)config->has_context(context.name);
    auto resolved = config->resolve(context.name);
    if (!resolved) {
      (void)meshctl::log::redact(resolved.error().message);
    } else {
      (void)meshctl::kube::auth_kind_name(resolved->user.kind);
    }
  }
  auto current = config->resolve("");
  if (!current)
    (void)meshctl::log::redact(current.error().message);
  return 0;
}
