// The objects meshctl writes, rendered from manifests/ with per-cluster values,
// and how they are compared with what a cluster already has.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kube/client.h"

namespace meshctl::mesh {

using kube::Json;

// Whether an object needs the one before it in the list to be written first.
// Objects that go `with_previous` form one round and are sent concurrently, so
// a round costs one round trip to the API server, not one per object.
enum class WriteOrder { after_previous, with_previous };

struct DesiredObject {
  kube::Resource resource;
  std::string kind;        // "Secret", "ClusterRole", ...
  std::string namespace_;  // "" for cluster-scoped
  std::string name;
  std::string remote;              // the link's remote mesh name; "" for federation objects
  bool holds_credentials = false;  // never print its body
  WriteOrder order = WriteOrder::after_previous;
  Json body;
};

// Renders manifests/<name>.yaml with ${VAR} replaced by vars[VAR], as JSON.
// Every unknown ${VAR} is an internal error (a manifest/code mismatch).
Result<Json> render_manifest(const std::string& manifest_name,
                             const std::map<std::string, std::string>& vars);

// True when every field in `desired` is present in `live` with the same value
// (lists compared element by element). Server-side apply of `desired` onto
// `live` would then change nothing meshctl owns.
bool json_contains(const Json& live, const Json& desired);

// The object carries meshctl's label: meshctl made it (or recorded taking it
// over), so applying it again is an update, not taking over another's object.
bool carries_managed_label(const Json& object);

// A Secret's data[key], base64-decoded; "" when absent, not a string or not base64.
std::string secret_data(const Json& secret, const char* key);

// Identifies an object within one cluster: "secrets/calico-system/x".
std::string object_key(const kube::Resource& resource, const std::string& ns, const std::string& name);

// What preflight saw of the objects join writes whose content decides what
// happens next (ServiceAccount, Secrets, RCCs), keyed by object_key().
struct LiveState {
  std::map<std::string, Json> objects;
  const Json* find(const DesiredObject& desired) const;
};

// A federation token Secret: a ServiceAccount token Secret for the
// federation ServiceAccount. Its generation (calico/names.h) is 0 unless
// meshctl's annotation says otherwise.
bool is_federation_token_secret(const Json& secret);
int token_generation(const Json& secret);

// The UID of the ServiceAccount a token Secret was filled for, when that is
// known and is not `account_uid` (both known): the token controller filled
// it for an earlier ServiceAccount of the same name, and the API server
// refuses its token. "" otherwise.
std::string earlier_account_uid(const Json& token_secret, const std::string& account_uid);

// The generation of the current federation token in namespace `ns`: the
// highest among meshctl's (labelled) federation token Secrets `live` holds
// there; 0 (the documented name) when there is none.
int current_token_generation(const LiveState& live, const std::string& ns);

}  // namespace meshctl::mesh
