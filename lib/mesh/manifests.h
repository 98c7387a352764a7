// The YAML in manifests/, embedded at build time (cmake/EmbedManifests.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace meshctl::manifests {

struct Manifest {
  std::string_view name;  // file name without .yaml
  std::string_view yaml;
};

const std::vector<Manifest>& all();

}  // namespace meshctl::manifests
