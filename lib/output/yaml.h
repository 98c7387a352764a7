// JSON documents as YAML text, for -o yaml and for rendered manifests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace meshctl::output {

// Block-style YAML of `value`, strings double-quoted (so "true", "0600" or a
// base64 value never reads back as another type). Keys named in `first` lead
// the top-level map in that order (apiVersion, kind, metadata as in every
// manifest); the others follow in the document's order. Ends with a newline.
std::string to_yaml(const nlohmann::json& value, const std::vector<std::string>& first = {});

}  // namespace meshctl::output
