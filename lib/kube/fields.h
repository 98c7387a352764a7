// Reading fields of API objects defensively. Objects as servers send them may
// lack a field (a status not yet reconciled, an RCC made without a spec) or
// carry null; such a field reads as empty, never as a crash (nlohmann's
// const operator[] on a missing key is undefined behaviour).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace meshctl::kube {

// j[key] when j is an object and that is an object, else an empty object.
const nlohmann::json& object_at(const nlohmann::json& j, std::string_view key);
// j[key] when j is an object and that is an array, else an empty array.
const nlohmann::json& array_at(const nlohmann::json& j, std::string_view key);
// list["items"] when it is an array, else an empty array.
const nlohmann::json& items(const nlohmann::json& list);
// j[key] when it is a string, else "".
std::string string_at(const nlohmann::json& j, std::string_view key);

// Parses an API server's answer, leaving out every metadata.managedFields
// (of the object, of a list's items, of a watch event's object). meshctl
// never reads them, and in the objects it writes by server-side apply they
// are a large share of the nodes: at ten clusters they were most of what join
// held in memory. Anything else named managedFields (a Secret's data key, a
// field of a custom resource's spec) is kept. A text that is not JSON parses
// as a discarded value, as nlohmann's parse without exceptions does.
nlohmann::json parse_api_answer(std::string_view text);

// metadata.name, metadata.namespace, ...
std::string metadata_string(const nlohmann::json& object, std::string_view key);
std::string label_of(const nlohmann::json& object, std::string_view key);
std::string annotation_of(const nlohmann::json& object, std::string_view key);

}  // namespace meshctl::kube
