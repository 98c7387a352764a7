#include "fake_cluster.h"

#include <fmt/format.h>

#include <atomic>
#include <sstream>

#include "test_jwt.h"
#include "util/base64.h"

namespace meshctl::test {
namespace {

using kube::Json;

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) {
    if (!part.empty())
      parts.push_back(part);
  }
  return parts;
}

std::string label_of(const Json& object, const std::string& key, bool& present) {
  const auto& labels = object["metadata"].value("labels", Json::object());
  present = labels.contains(key);
  return present && labels[key].is_string() ? labels[key].get<std::string>() : "";
}

// Selector terms split at the commas outside parentheses: "a=b,k in (x,y)".
std::vector<std::string> selector_terms(const std::string& selector) {
  std::vector<std::string> terms;
  std::string term;
  int depth = 0;
  for (char c : selector) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (c == ',' && depth == 0) {
      terms.push_back(term);
      term.clear();
    } else {
      term += c;
    }
  }
  if (!term.empty())
    terms.push_back(term);
  return terms;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(' ');
  const auto last = text.find_last_not_of(' ');
  return first == std::string::npos ? "" : text.substr(first, last - first + 1);
}

// Kubernetes' label selector terms: k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b).
bool term_holds(const Json& object, const std::string& term) {
  bool present = false;
  for (const char* op : {" notin ", " in "}) {
    const auto at = term.find(op);
    if (at == std::string::npos)
      continue;
    const std::string value = label_of(object, trimmed(term.substr(0, at)), present);
    const std::string list = term.substr(term.find('(') + 1, term.rfind(')') - term.find('(') - 1);
    bool listed = false;
    for (const auto& v : split(list, ','))
      listed = listed || (present && trimmed(v) == value);
    return std::string(op) == " in " ? listed : !listed;
  }
  if (term[0] == '!') {
    label_of(object, term.substr(1), present);
    return !present;
  }
  const auto not_equal = term.find("!=");
  const auto equal = term.find('=');
  if (not_equal != std::string::npos)
    return !(label_of(object, term.substr(0, not_equal), present) == term.substr(not_equal + 2) && present);
  if (equal != std::string::npos) {
    const size_t value_at = term.compare(equal, 2, "==") == 0 ? equal + 2 : equal + 1;
    return label_of(object, term.substr(0, equal), present) == term.substr(value_at) && present;
  }
  label_of(object, term, present);
  return present;
}

bool selected(const Json& object, const std::string& selector) {
  for (const auto& term : selector_terms(selector)) {
    if (!term_holds(object, trimmed(term)))
      return false;
  }
  return true;
}

bool fields_match(const Json& object, const std::string& selector) {
  for (const auto& term : split(selector, ',')) {
    const auto eq = term.find('=');
    const std::string field = term.substr(0, eq), want = term.substr(eq + 1);
    if (field == "metadata.name" && object["metadata"].value("name", "") != want)
      return false;
    if (field == "metadata.namespace" && object["metadata"].value("namespace", "") != want)
      return false;
  }
  return true;
}

// Server-side apply, as far as meshctl's intents go: the fields given replace
// those there, maps merge, lists are replaced whole.
void overlay(Json& into, const Json& from) {
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (it->is_object() && into.contains(it.key()) && into[it.key()].is_object())
      overlay(into[it.key()], *it);
    else
      into[it.key()] = *it;
  }
}

Error not_found(const std::string& what) {
  return Error(Errc::not_found, "fake: " + what + " not found");
}

}  // namespace

Json object_named(const std::string& ns, const std::string& name, Json labels) {
  Json metadata = {{"name", name}, {"labels", std::move(labels)}};
  if (!ns.empty())
    metadata["namespace"] = ns;
  return {{"metadata", metadata}};
}

FakeCluster::FakeCluster(Calico calico)
    : groups_{"/v1", "rbac.authorization.k8s.io/v1", "apps/v1", "networking.k8s.io/v1"} {
  if (calico == Calico::api_server) {
    groups_.insert("projectcalico.org/v3");
    groups_.insert("crd.projectcalico.org/v1");
  } else if (calico == Calico::native_v3) {
    groups_.insert("projectcalico.org/v3");
  }
}

FakeCluster::Key FakeCluster::key(const kube::Resource& r, const std::string& ns,
                                  const std::string& name) const {
  return {r.group + "/" + r.version + "/" + r.plural, r.namespaced ? ns : "", name};
}

Status FakeCluster::served(const kube::Resource& r) const {
  if (groups_.count(r.group + "/" + r.version) == 0)
    return not_found("the server could not find the requested resource (" + r.group + "/" + r.plural + ")");
  return {};
}

Status FakeCluster::allowed(const std::string& verb, const kube::Resource& r) const {
  if (denied_.count(verb + " " + r.group + "/" + r.plural) > 0)
    return Error(Errc::forbidden, "fake: " + verb + " " + r.plural + " is forbidden");
  return {};
}

Json FakeCluster::stamped(Json object) {
  auto& metadata = object["metadata"];
  static std::atomic<int> next_uid{1};  // unique across fakes: it tells clusters apart
  if (!metadata.contains("uid"))
    metadata["uid"] = fmt::format("uid-{}", next_uid++);
  metadata["resourceVersion"] = std::to_string(next_version_++);
  return object;
}

void FakeCluster::record(const std::string& verb, const kube::Resource& r, const std::string& ns,
                         const std::string& name) {
  writes_.push_back(fmt::format("{} {} {}", verb, r.plural, r.namespaced ? ns + "/" + name : name));
}

void FakeCluster::put(const kube::Resource& r, Json object) {
  std::lock_guard lock(mutex_);
  const std::string ns = object["metadata"].value("namespace", "");
  const std::string name = object["metadata"].value("name", "");
  objects_[key(r, ns, name)] = stamped(std::move(object));
}

const Json* FakeCluster::find(const kube::Resource& r, const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(key(r, ns, name));
  return it == objects_.end() ? nullptr : &it->second;
}

size_t FakeCluster::count(const kube::Resource& r) const {
  std::lock_guard lock(mutex_);
  const std::string resource = r.group + "/" + r.version + "/" + r.plural;
  size_t n = 0;
  for (const auto& [k, v] : objects_)
    if (k.resource == resource)
      ++n;
  return n;
}

void FakeCluster::deny(const std::string& verb, const std::string& group, const std::string& resource) {
  std::lock_guard lock(mutex_);
  denied_.insert(verb + " " + group + "/" + resource);
}

void FakeCluster::set_pod_log(const std::string& ns, const std::string& pod, std::string text) {
  std::lock_guard lock(mutex_);
  logs_[ns + "/" + pod] = std::move(text);
}

void FakeCluster::fill_tokens() {
  std::lock_guard lock(mutex_);
  fill_tokens_ = true;
}

void FakeCluster::fill_token_of(Json& secret) const {
  if (!fill_tokens_ || secret.value("type", "") != "kubernetes.io/service-account-token")
    return;
  const auto& annotations = secret["metadata"].value("annotations", Json::object());
  const std::string account = annotations.value("kubernetes.io/service-account.name", "");
  auto it = objects_.find(
      key(kube::resources::service_accounts, secret["metadata"].value("namespace", ""), account));
  if (it == objects_.end())
    return;  // the real controller waits for the account too
  secret["metadata"]["annotations"]["kubernetes.io/service-account.uid"] = it->second["metadata"]["uid"];
  const std::string jwt =
      b64url(R"({"alg":"RS256"})") + "." +
      b64url(R"({"sub":"system:serviceaccount:)" + it->first.ns + ":" + account + R"("})") + ".signature";
  secret["data"]["token"] = base64_encode(jwt);
  secret["data"]["ca.crt"] = base64_encode("-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n");
}

std::vector<std::string> FakeCluster::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

Result<Json> FakeCluster::get(const kube::Resource& r, const std::string& ns, const std::string& name) {
  std::lock_guard lock(mutex_);
  TRY(served(r));
  TRY(allowed("get", r));
  auto it = objects_.find(key(r, ns, name));
  if (it == objects_.end())
    return not_found(r.plural + " \"" + name + "\"");
  return it->second;
}

Result<Json> FakeCluster::list(const kube::Resource& r, const std::string& ns,
                               const std::string& label_selector, const std::string& field_selector) {
  std::lock_guard lock(mutex_);
  TRY(served(r));
  TRY(allowed("list", r));
  const std::string resource = r.group + "/" + r.version + "/" + r.plural;
  Json items = Json::array();
  for (const auto& [k, object] : objects_) {
    if (k.resource != resource || (r.namespaced && !ns.empty() && k.ns != ns))
      continue;
    if (selected(object, label_selector) && fields_match(object, field_selector))
      items.push_back(object);
  }
  return Json{{"metadata", {{"resourceVersion", std::to_string(next_version_)}}}, {"items", items}};
}

Result<Json> FakeCluster::create_object(const kube::Resource& r, const std::string& ns, const Json& body,
                                        const std::string&, kube::DryRun dry_run) {
  std::lock_guard lock(mutex_);
  TRY(served(r));
  TRY(allowed("create", r));
  const std::string name = body["metadata"].value("name", "");
  if (objects_.count(key(r, ns, name)) > 0)
    return Error(Errc::already_exists, "fake: " + r.plural + " \"" + name + "\" already exists");
  Json object = body;
  if (r.namespaced)
    object["metadata"]["namespace"] = ns;
  object = stamped(std::move(object));
  fill_token_of(object);
  if (dry_run == kube::DryRun::no) {
    objects_[key(r, ns, name)] = object;
    record("create", r, ns, name);
  }
  return object;
}

Result<Json> FakeCluster::update_object(const kube::Resource& r, const std::string& ns,
                                        const std::string& name, const Json& body, const std::string&,
                                        kube::DryRun dry_run) {
  std::lock_guard lock(mutex_);
  TRY(served(r));
  TRY(allowed("update", r));
  auto it = objects_.find(key(r, ns, name));
  if (it == objects_.end())
    return not_found(r.plural + " \"" + name + "\"");
  const std::string given = body["metadata"].value("resourceVersion", "");
  if (!given.empty() && given != it->second["metadata"].value("resourceVersion", ""))
    return Error(Errc::conflict, "fake: the object has been modified");
  Json object = body;
  object["metadata"]["uid"] = it->second["metadata"]["uid"];
  object = stamped(std::move(object));
  if (dry_run == kube::DryRun::no) {
    it->second = object;
    record("update", r, ns, name);
  }
  return object;
}

Result<kube::Applied> FakeCluster::apply(const kube::Resource& r, const std::string& ns,
                                         const std::string& name, const Json& body,
                                         const kube::ApplyOptions& options) {
  std::lock_guard lock(mutex_);
  TRY(served(r));
  TRY(allowed("patch", r));
  auto it = objects_.find(key(r, ns, name));
  const bool created = it == objects_.end();
  Json object = created ? Json{{"metadata", Json::object()}} : it->second;
  overlay(object, body);
  object["metadata"]["name"] = name;
  if (r.namespaced)
    object["metadata"]["namespace"] = ns;
  object = stamped(std::move(object));
  if (created)
    fill_token_of(object);
  if (options.dry_run == kube::DryRun::no) {
    objects_[key(r, ns, name)] = object;
    record("apply", r, ns, name);
  }
  return kube::Applied{object, created};
}

Result<Json> FakeCluster::merge_patch(const kube::Resource& r, const std::string& ns, const std::string& name,
                                      const Json& patch, const std::string&, kube::DryRun dry_run) {
  std::lock_guard lock(mutex_);
  TRY(served(r));
  TRY(allowed("patch", r));
  auto it = objects_.find(key(r, ns, name));
  if (it == objects_.end())
    return not_found(r.plural + " \"" + name + "\"");
  Json object = it->second;
  object.merge_patch(patch);
  object = stamped(std::move(object));
  if (dry_run == kube::DryRun::no) {
    it->second = object;
    record("patch", r, ns, name);
  }
  return object;
}

Result<bool> FakeCluster::remove(const kube::Resource& r, const std::string& ns, const std::string& name,
                                 kube::Propagation, kube::DryRun dry_run) {
  std::lock_guard lock(mutex_);
  TRY(served(r));
  TRY(allowed("delete", r));
  auto it = objects_.find(key(r, ns, name));
  if (it == objects_.end())
    return false;
  if (dry_run == kube::DryRun::no) {
    objects_.erase(it);
    record("delete", r, ns, name);
  }
  return true;
}

Result<Json> FakeCluster::wait_for(const kube::Resource& r, const std::string& ns, const std::string& name,
                                   const std::function<bool(const Json&)>& ready, std::chrono::milliseconds) {
  TRY_ASSIGN(Json object, get(r, ns, name));
  if (!ready(object))
    return Error(Errc::not_ready, "fake: " + r.plural + " \"" + name + "\" is not ready");
  return object;
}

Result<std::string> FakeCluster::pod_logs(const std::string& ns, const std::string& pod,
                                          const kube::LogOptions&) {
  std::lock_guard lock(mutex_);
  auto it = logs_.find(ns + "/" + pod);
  if (it == logs_.end())
    return not_found("pods \"" + pod + "\"");
  return it->second;
}

Result<bool> FakeCluster::follow_pod_logs(const std::string& ns, const std::string& pod,
                                          const kube::LogOptions& options,
                                          const std::function<bool(std::string_view)>& on_text,
                                          std::chrono::milliseconds, const std::function<bool()>&) {
  TRY_ASSIGN(std::string text, pod_logs(ns, pod, options));
  return !on_text(text);
}

Result<std::string> FakeCluster::pod_proxy_get(const std::string&, const std::string& pod, int,
                                               const std::string&) {
  return not_found("pods \"" + pod + "\" (no proxy in the fake)");
}

Result<bool> FakeCluster::can_i(const kube::AccessCheck& check) {
  std::lock_guard lock(mutex_);
  const std::string resource =
      check.subresource.empty() ? check.resource : check.resource + "/" + check.subresource;
  return denied_.count(check.verb + " " + check.group + "/" + resource) == 0;
}

Result<kube::RulesReview> FakeCluster::rules_review(const std::string&) {
  std::lock_guard lock(mutex_);
  kube::RulesReview review;
  if (denied_.empty())
    review.rules.push_back({{"*"}, {"*"}, {"*"}, {}});
  else
    review.incomplete = true;  // RBAC rules cannot say "all but": ask can_i for each
  return review;
}

Result<kube::TokenRequestResult> FakeCluster::request_token(const std::string& ns,
                                                            const std::string& service_account,
                                                            std::chrono::seconds ttl) {
  return kube::TokenRequestResult{Secret("fake-token-" + ns + "-" + service_account),
                                  std::chrono::system_clock::now() + ttl};
}

Result<kube::ServerVersion> FakeCluster::version() {
  return kube::ServerVersion{"v1.33.0", "1", "33"};
}

Result<kube::HttpResponse> FakeCluster::request(const std::string& method, const std::string& path_and_query,
                                                const std::string&, const std::string&) {
  if (method != "GET" || path_and_query != "/apis")
    return not_found(method + " " + path_and_query);
  std::lock_guard lock(mutex_);
  std::map<std::string, Json> groups;
  for (const auto& gv : groups_) {
    const auto slash = gv.find('/');
    const std::string group = gv.substr(0, slash), version = gv.substr(slash + 1);
    if (group.empty())
      continue;  // the core group is discovered at /api
    groups[group]["name"] = group;
    groups[group]["versions"].push_back({{"groupVersion", gv}, {"version", version}});
  }
  Json list = {{"kind", "APIGroupList"}, {"groups", Json::array()}};
  for (auto& [name, group] : groups)
    list["groups"].push_back(group);
  return kube::HttpResponse{200, list.dump(), "application/json"};
}

}  // namespace meshctl::test
