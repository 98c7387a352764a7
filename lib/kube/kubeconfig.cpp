#include "kube/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <set>
#include <utility>

#include "util/base64.h"
#include "util/files.h"
#include "util/log.h"

namespace meshctl::kube {
namespace {

constexpr std::string_view kExecV1 = "client.authentication.k8s.io/v1";
constexpr std::string_view kExecV1beta1 = "client.authentication.k8s.io/v1beta1";

std::string in_quotes(const std::string& s) {
  return "\"" + s + "\"";
}

// Field accessors. A missing or null field reads as empty; a field of the wrong
// shape is an error naming the field, as kubectl refuses such files too.
Result<std::string> get_string(const YAML::Node& map, const char* key) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull())
    return std::string();
  if (!node.IsScalar())
    return Error(Errc::config, std::string(key) + ": expected a string");
  return node.Scalar();
}

Result<bool> get_bool(const YAML::Node& map, const char* key) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull())
    return false;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    return Error(Errc::config, std::string(key) + ": expected true or false");
  }
  return value;
}

// Sequence or absent; anything else is an error.
Result<YAML::Node> get_list(const YAML::Node& map, const char* key) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull())
    return YAML::Node(YAML::NodeType::Sequence);
  if (!node.IsSequence())
    return Error(Errc::config, std::string(key) + ": expected a list");
  return node;
}

Result<YAML::Node> get_map(const YAML::Node& map, const char* key) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull())
    return YAML::Node(YAML::NodeType::Map);
  if (!node.IsMap())
    return Error(Errc::config, std::string(key) + ": expected a mapping");
  return node;
}

// The file form of each -data field, named in hints.
std::string file_field(std::string_view data_key) {
  std::string_view suffix = "-data";
  if (data_key.ends_with(suffix))
    data_key.remove_suffix(suffix.size());
  return std::string(data_key);
}

Result<std::string> get_base64(const YAML::Node& map, const char* key) {
  TRY_ASSIGN(const std::string text, get_string(map, key));
  auto decoded = base64_decode(text);
  if (!decoded) {
    Error e = decoded.error().wrap(key);
    e.hint = std::string(
                 "put the PEM file there base64-encoded on one line (base64 -w0 FILE), or name the "
                 "file with ") +
             file_field(key);
    return e;
  }
  return std::move(*decoded);
}

// Hints shared by several checks below.
constexpr const char* kPathHint =
    "fix the path (a relative path is relative to the kubeconfig file's directory), or inline the content "
    "with the -data field";
constexpr const char* kPemHint =
    "it must be PEM (-----BEGIN ...-----); convert a DER file with: openssl x509 -inform DER -in FILE -out "
    "FILE.pem";

// Relative paths resolve against the directory of the file that named them.
std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty())
    return path;
  return files::join(base_dir, path);
}

bool has_scheme(const std::string& url) {
  const auto colon = url.find("://");
  if (colon == std::string::npos || colon == 0)
    return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = url[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
                    c == '-' || c == '.';
    if (!ok)
      return false;
  }
  return true;
}

bool looks_like_pem(const std::string& text) {
  return text.find("-----BEGIN ") != std::string::npos;
}

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos)
    return {};
  const auto end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

Result<InteractiveMode> parse_interactive_mode(const std::string& api_version, const std::string& text) {
  if (text.empty()) {
    // client-go requires the field in v1 and defaults it in v1beta1.
    if (api_version == kExecV1) {
      return Error(Errc::config, "exec: interactiveMode must be set for " + api_version);
    }
    return InteractiveMode::if_available;
  }
  if (text == "Never")
    return InteractiveMode::never;
  if (text == "IfAvailable")
    return InteractiveMode::if_available;
  if (text == "Always")
    return InteractiveMode::always;
  return Error(Errc::config,
               "exec: interactiveMode " + in_quotes(text) + " is not one of Never, IfAvailable, Always");
}

Result<ExecConfig> parse_exec(const YAML::Node& node, const std::string& base_dir) {
  ExecConfig exec;
  TRY_ASSIGN(exec.api_version, get_string(node, "apiVersion"));
  if (exec.api_version.empty())
    return Error(Errc::config, "exec: apiVersion must be set");
  if (exec.api_version != kExecV1 && exec.api_version != kExecV1beta1) {
    return Error(Errc::config, "exec: apiVersion " + in_quotes(exec.api_version) + " is not supported (use " +
                                   std::string(kExecV1) + " or " + std::string(kExecV1beta1) + ")");
  }
  TRY_ASSIGN(exec.command, get_string(node, "command"));
  if (exec.command.empty())
    return Error(Errc::config, "exec: command must be set");
  // As in client-go, only a command containing a slash is a path; a bare name is
  // looked up in PATH when it runs.
  if (exec.command.find('/') != std::string::npos)
    exec.command = resolve_path(base_dir, exec.command);
  TRY_ASSIGN(const YAML::Node args, get_list(node, "args"));
  for (const auto& arg : args) {
    if (!arg.IsScalar())
      return Error(Errc::config, "exec: args: expected a list of strings");
    exec.args.push_back(arg.Scalar());
  }
  TRY_ASSIGN(const YAML::Node env, get_list(node, "env"));
  for (const auto& item : env) {
    if (!item.IsMap())
      return Error(Errc::config, "exec: env: expected a list of {name, value}");
    TRY_ASSIGN(std::string name, get_string(item, "name"));
    TRY_ASSIGN(std::string value, get_string(item, "value"));
    if (name.empty())
      return Error(Errc::config, "exec: env: an entry has no name");
    exec.env.emplace_back(std::move(name), std::move(value));
  }
  TRY_ASSIGN(exec.install_hint, get_string(node, "installHint"));
  TRY_ASSIGN(exec.provide_cluster_info, get_bool(node, "provideClusterInfo"));
  TRY_ASSIGN(const std::string mode, get_string(node, "interactiveMode"));
  TRY_ASSIGN(exec.interactive_mode, parse_interactive_mode(exec.api_version, mode));
  return exec;
}

// The exec plugin that replaced each in-tree auth provider removed from client-go.
std::string auth_provider_replacement(const std::string& name) {
  if (name == "gcp")
    return "gke-gcloud-auth-plugin";
  if (name == "azure")
    return "kubelogin";
  if (name == "oidc")
    return "kubelogin (int128/kubelogin, kubectl oidc-login)";
  return {};
}

Error auth_provider_error(const std::string& name) {
  const std::string replacement = auth_provider_replacement(name);
  std::string message = "auth-provider " + in_quotes(name) + " was removed from kubectl (client-go 1.26); ";
  if (replacement.empty()) {
    message += "configure an exec credential plugin instead";
  } else {
    message += "use the exec credential plugin " + replacement + " instead";
  }
  std::string hint;
  if (name == "gcp") {
    hint = "install gke-gcloud-auth-plugin and run: gcloud container clusters get-credentials CLUSTER";
  } else if (name == "azure") {
    hint = "install kubelogin and run: kubelogin convert-kubeconfig";
  } else if (name == "oidc") {
    hint = "install kubelogin (kubectl oidc-login) and switch the user to its exec configuration";
  }
  return Error(Errc::config, message, hint);
}

// Wraps yaml-cpp's view of one entry list ("clusters", "users", "contexts").
struct NamedEntry {
  std::string name;
  YAML::Node body;
};

}  // namespace

// Turns one file's YAML into a Kubeconfig. Structural problems (not YAML, a list
// that is not a list, duplicate names) reject the file as kubectl does; problems
// inside one entry are recorded on it and reported when a context uses it.
struct KubeconfigParser {
  const std::string& source;
  const std::string& base_dir;
  Kubeconfig out;

  Error file_error(const std::string& what) const {
    return Error(Errc::config, "kubeconfig " + source + ": " + what);
  }

  Result<std::vector<NamedEntry>> entries(const YAML::Node& root, const char* list_key,
                                          const char* body_key) {
    auto list = get_list(root, list_key);
    if (!list)
      return file_error(list.error().message);
    std::vector<NamedEntry> result;
    std::set<std::string> seen;
    std::size_t index = 0;
    for (const auto& item : *list) {
      const std::string where = std::string(list_key) + "[" + std::to_string(index++) + "]";
      if (!item.IsMap())
        return file_error(where + ": expected a mapping with name and " + body_key);
      auto name = get_string(item, "name");
      if (!name)
        return file_error(where + ": " + name.error().message);
      if (name->empty())
        return file_error(where + ": name is missing");
      if (!seen.insert(*name).second)
        return file_error(where + ": duplicate name " + in_quotes(*name));
      auto body = get_map(item, body_key);
      if (!body)
        return file_error(where + " (" + in_quotes(*name) + "): " + body.error().message);
      result.push_back({std::move(*name), std::move(*body)});
    }
    return result;
  }

  Status parse_cluster_fields(const YAML::Node& node, Kubeconfig::RawCluster& raw) const {
    ClusterEntry& c = raw.entry;
    TRY_ASSIGN(c.server, get_string(node, "server"));
    TRY_ASSIGN(const std::string ca_file, get_string(node, "certificate-authority"));
    raw.ca_file = resolve_path(base_dir, ca_file);
    TRY_ASSIGN(raw.ca_data, get_base64(node, "certificate-authority-data"));
    TRY_ASSIGN(c.insecure_skip_tls_verify, get_bool(node, "insecure-skip-tls-verify"));
    TRY_ASSIGN(c.tls_server_name, get_string(node, "tls-server-name"));
    TRY_ASSIGN(c.proxy_url, get_string(node, "proxy-url"));
    if (c.server.empty())
      return Error(Errc::config, "server: not set", "set it to the API server's URL, https://HOST[:PORT]");
    if (!has_scheme(c.server)) {
      return Error(Errc::config, "server: " + in_quotes(c.server) + " has no scheme",
                   "write it as https://" + c.server);
    }
    if (!c.proxy_url.empty() && !has_scheme(c.proxy_url)) {
      return Error(Errc::config, "proxy-url: " + in_quotes(c.proxy_url) + " has no scheme");
    }
    return {};
  }

  Status parse_user_fields(const YAML::Node& node, Kubeconfig::RawUser& raw) const {
    UserEntry& u = raw.entry;
    TRY_ASSIGN(const std::string token, get_string(node, "token"));
    u.token = Secret(token);
    log::register_secret(token);
    TRY_ASSIGN(const std::string token_file, get_string(node, "tokenFile"));
    raw.token_file = resolve_path(base_dir, token_file);
    TRY_ASSIGN(const std::string cert_file, get_string(node, "client-certificate"));
    raw.cert_file = resolve_path(base_dir, cert_file);
    TRY_ASSIGN(const std::string key_file, get_string(node, "client-key"));
    raw.key_file = resolve_path(base_dir, key_file);
    TRY_ASSIGN(u.client_cert_pem, get_base64(node, "client-certificate-data"));
    TRY_ASSIGN(const std::string key, get_base64(node, "client-key-data"));
    u.client_key_pem = Secret(key);
    log::register_secret(key);
    TRY_ASSIGN(u.username, get_string(node, "username"));
    TRY_ASSIGN(const std::string password, get_string(node, "password"));
    u.password = Secret(password);
    log::register_secret(password);
    TRY_ASSIGN(const YAML::Node provider, get_map(node, "auth-provider"));
    if (provider.size() > 0) {
      TRY_ASSIGN(u.auth_provider_name, get_string(provider, "name"));
      if (u.auth_provider_name.empty())
        u.auth_provider_name = "(unnamed)";
    }
    TRY_ASSIGN(const YAML::Node exec, get_map(node, "exec"));
    if (exec.size() > 0) {
      TRY_ASSIGN(u.exec, parse_exec(exec, base_dir));
    }
    return {};
  }

  Status parse_clusters(const YAML::Node& root) {
    TRY_ASSIGN(auto list, entries(root, "clusters", "cluster"));
    for (auto& [name, body] : list) {
      Kubeconfig::RawCluster raw;
      raw.entry.name = name;
      raw.entry.source_file = source;
      if (auto status = parse_cluster_fields(body, raw); !status) {
        raw.error = "cluster " + in_quotes(name) + ": " + status.error().message;
        raw.hint = status.error().hint;
      }
      out.clusters_.emplace(name, std::move(raw));
    }
    return {};
  }

  Status parse_users(const YAML::Node& root) {
    TRY_ASSIGN(auto list, entries(root, "users", "user"));
    for (auto& [name, body] : list) {
      Kubeconfig::RawUser raw;
      raw.entry.name = name;
      raw.entry.source_file = source;
      if (auto status = parse_user_fields(body, raw); !status) {
        raw.error = "user " + in_quotes(name) + ": " + status.error().message;
        raw.hint = status.error().hint;
      }
      out.users_.emplace(name, std::move(raw));
    }
    return {};
  }

  Status parse_contexts(const YAML::Node& root) {
    TRY_ASSIGN(auto list, entries(root, "contexts", "context"));
    for (auto& [name, body] : list) {
      Kubeconfig::RawContext raw;
      raw.summary.name = name;
      raw.source_file = source;
      auto cluster = get_string(body, "cluster");
      auto user = get_string(body, "user");
      auto ns = get_string(body, "namespace");
      for (auto* field : {&cluster, &user, &ns}) {
        if (!*field)
          return file_error("context " + in_quotes(name) + ": " + field->error().message);
      }
      raw.summary.cluster = std::move(*cluster);
      raw.summary.user = std::move(*user);
      raw.summary.namespace_name = std::move(*ns);
      out.contexts_.push_back(std::move(raw));
    }
    return {};
  }

  Status parse(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      Error error = file_error("line " + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
      error.hint = "fix the file at that line, or point --kubeconfig or KUBECONFIG at another file";
      return error;
    }
    if (!root || root.IsNull())
      return {};  // an empty file is an empty config
    if (!root.IsMap())
      return file_error("not a kubeconfig (the top level is not a mapping)");
    auto current = get_string(root, "current-context");
    if (!current)
      return file_error(current.error().message);
    out.current_context_ = *current;
    TRY(parse_clusters(root));
    TRY(parse_users(root));
    TRY(parse_contexts(root));
    return {};
  }
};

const char* auth_kind_name(AuthKind kind) {
  switch (kind) {
    case AuthKind::none:
      return "none";
    case AuthKind::token:
      return "token";
    case AuthKind::token_file:
      return "token-file";
    case AuthKind::client_cert:
      return "client-certificate";
    case AuthKind::basic:
      return "basic";
    case AuthKind::exec:
      return "exec";
    case AuthKind::auth_provider:
      return "auth-provider";
  }
  return "unknown";
}

LoadOptions load_options_from_environment(const std::string& explicit_path) {
  LoadOptions options;
  options.explicit_path = explicit_path;
  if (const char* env = std::getenv("KUBECONFIG"))
    options.env_kubeconfig = std::string(env);
  if (const char* home = std::getenv("HOME"))
    options.home_dir = home;
  return options;
}

std::vector<ContextSummary> Kubeconfig::contexts() const {
  std::vector<ContextSummary> result;
  result.reserve(contexts_.size());
  for (const auto& c : contexts_)
    result.push_back(c.summary);
  return result;
}

bool Kubeconfig::has_context(const std::string& name) const {
  for (const auto& c : contexts_) {
    if (c.summary.name == name)
      return true;
  }
  return false;
}

std::string Kubeconfig::describe_sources() const {
  if (files_.empty())
    return searched_.empty() ? "(none)" : searched_;
  std::string joined;
  for (const auto& f : files_)
    joined += (joined.empty() ? "" : ":") + f;
  return joined;
}

void Kubeconfig::merge_from(Kubeconfig&& other) {
  if (current_context_.empty())
    current_context_ = other.current_context_;
  for (auto& c : other.contexts_) {
    if (!has_context(c.summary.name))
      contexts_.push_back(std::move(c));
  }
  // try_emplace keeps the entry already present: the first file wins.
  for (auto& [name, raw] : other.clusters_)
    clusters_.try_emplace(name, std::move(raw));
  for (auto& [name, raw] : other.users_)
    users_.try_emplace(name, std::move(raw));
  for (auto& f : other.files_)
    files_.push_back(std::move(f));
}

Result<ClusterEntry> Kubeconfig::resolve_cluster(const RawContext& context) const {
  const std::string prefix = "context " + in_quotes(context.summary.name) + ": ";
  const std::string& name = context.summary.cluster;
  const std::string fix =
      "add a clusters entry of that name, or point the context at one that exists: "
      "kubectl config set-context " +
      context.summary.name + " --cluster=NAME";
  if (name.empty()) {
    return Error(Errc::config, "kubeconfig " + context.source_file + ": " + prefix + "cluster: not set", fix);
  }
  const auto it = clusters_.find(name);
  if (it == clusters_.end()) {
    return Error(
        Errc::config,
        "kubeconfig " + context.source_file + ": " + prefix + "cluster " + in_quotes(name) + " not found",
        fix);
  }
  const RawCluster& raw = it->second;
  const std::string where = "kubeconfig " + raw.entry.source_file + ": " + prefix;
  if (!raw.error.empty())
    return Error(Errc::config, where + raw.error, raw.hint);
  ClusterEntry cluster = raw.entry;
  const std::string cluster_where = where + "cluster " + in_quotes(name) + ": ";
  // certificate-authority-data wins over certificate-authority, as in client-go.
  if (!raw.ca_data.empty()) {
    if (!looks_like_pem(raw.ca_data)) {
      return Error(Errc::config, cluster_where + "certificate-authority-data: not a PEM certificate",
                   kPemHint);
    }
    cluster.ca_pem = raw.ca_data;
  } else if (!raw.ca_file.empty()) {
    auto pem = files::read_file(raw.ca_file);
    if (!pem)
      return Error(Errc::config, cluster_where + "certificate-authority: " + pem.error().message, kPathHint);
    if (!looks_like_pem(*pem)) {
      return Error(Errc::config, cluster_where + "certificate-authority: " + raw.ca_file + " is not PEM",
                   kPemHint);
    }
    cluster.ca_pem = std::move(*pem);
  }
  return cluster;
}

// Reads the file form of a field unless the inline -data form was given.
static Result<std::string> data_or_file(const std::string& data, const std::string& file,
                                        const std::string& where, const char* field) {
  if (!data.empty() || file.empty())
    return data;
  auto content = files::read_file(file);
  if (!content)
    return Error(Errc::config, where + field + ": " + content.error().message, kPathHint);
  return std::move(*content);
}

Result<UserEntry> Kubeconfig::resolve_user(const RawContext& context) const {
  const std::string prefix = "context " + in_quotes(context.summary.name) + ": ";
  const std::string& name = context.summary.user;
  // kubectl treats a context without a user as anonymous; a named user that does
  // not exist is almost always a typo, so that is an error here.
  if (name.empty())
    return UserEntry{};
  const auto it = users_.find(name);
  if (it == users_.end()) {
    return Error(
        Errc::config,
        "kubeconfig " + context.source_file + ": " + prefix + "user " + in_quotes(name) + " not found",
        "add a users entry of that name, or point the context at one that exists: kubectl config "
        "set-context " +
            context.summary.name + " --user=NAME");
  }
  const RawUser& raw = it->second;
  const std::string where = "kubeconfig " + raw.entry.source_file + ": " + prefix;
  if (!raw.error.empty())
    return Error(Errc::config, where + raw.error, raw.hint);
  const std::string user_where = where + "user " + in_quotes(name) + ": ";
  UserEntry user = raw.entry;
  if (!user.auth_provider_name.empty()) {
    Error e = auth_provider_error(user.auth_provider_name);
    e.message = user_where + e.message;
    return e;
  }
  if (user.token.empty() && !raw.token_file.empty()) {
    auto content = files::read_file(raw.token_file);
    if (!content)
      return Error(Errc::config, user_where + "tokenFile: " + content.error().message, kPathHint);
    const std::string token = trim(*content);
    if (token.empty()) {
      return Error(Errc::config, user_where + "tokenFile: " + raw.token_file + " is empty",
                   "write the token into it, or fix tokenFile");
    }
    log::register_secret(token);
    user.token = Secret(token);
    user.token_file = raw.token_file;
  }
  TRY_ASSIGN(user.client_cert_pem,
             data_or_file(user.client_cert_pem, raw.cert_file, user_where, "client-certificate"));
  TRY_ASSIGN(const std::string key,
             data_or_file(user.client_key_pem.reveal(), raw.key_file, user_where, "client-key"));
  log::register_secret(key);
  user.client_key_pem = Secret(key);
  if (!user.client_cert_pem.empty() && !looks_like_pem(user.client_cert_pem)) {
    return Error(Errc::config, user_where + "client-certificate: not a PEM certificate", kPemHint);
  }
  if (!key.empty() && !looks_like_pem(key)) {
    return Error(Errc::config, user_where + "client-key: not a PEM key", kPemHint);
  }
  if (user.client_cert_pem.empty() != key.empty()) {
    return Error(Errc::config,
                 user_where + (key.empty() ? "client-certificate given without client-key"
                                           : "client-key given without client-certificate"),
                 "set both client-certificate(-data) and client-key(-data), from the same key pair");
  }
  // Several methods may be set (client-go sends a token and a client certificate
  // together); kind names the one that identifies the user.
  if (user.exec) {
    user.kind = AuthKind::exec;
  } else if (!user.token_file.empty()) {
    user.kind = AuthKind::token_file;
  } else if (!user.token.empty()) {
    user.kind = AuthKind::token;
  } else if (!user.client_cert_pem.empty()) {
    user.kind = AuthKind::client_cert;
  } else if (!user.username.empty() || !user.password.empty()) {
    user.kind = AuthKind::basic;
  }
  return user;
}

Result<ResolvedContext> Kubeconfig::resolve(const std::string& context_name) const {
  const std::string& wanted = context_name.empty() ? current_context_ : context_name;
  if (wanted.empty()) {
    return Error(Errc::config,
                 "kubeconfig " + describe_sources() + ": no context given and current-context is not set",
                 "pass --context NAME");
  }
  const RawContext* context = nullptr;
  for (const auto& c : contexts_) {
    if (c.summary.name == wanted)
      context = &c;
  }
  if (context == nullptr) {
    return Error(Errc::config,
                 "kubeconfig " + describe_sources() + ": context " + in_quotes(wanted) + " not found",
                 "meshctl contexts lists the contexts");
  }
  ResolvedContext resolved;
  resolved.context_name = wanted;
  resolved.namespace_name =
      context->summary.namespace_name.empty() ? "default" : context->summary.namespace_name;
  TRY_ASSIGN(resolved.cluster, resolve_cluster(*context));
  TRY_ASSIGN(resolved.user, resolve_user(*context));
  return resolved;
}

Result<Kubeconfig> parse_kubeconfig(const std::string& text, const std::string& source,
                                    const std::string& base_dir) {
  KubeconfigParser parser{source, base_dir, {}};
  parser.out.files_ = {source};
  try {
    TRY(parser.parse(text));
  } catch (const YAML::Exception& e) {
    // Backstop: yaml-cpp throws on shapes the accessors did not foresee.
    return parser.file_error("line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return std::move(parser.out);
}

namespace {

// Reads and parses one file; its entries are labelled with its absolute path.
Result<Kubeconfig> load_file(const std::string& path) {
  const std::string absolute = files::absolute(path);
  auto text = files::read_file(absolute);
  if (!text)
    return Error(Errc::config, "kubeconfig " + text.error().message);
  TRY_ASSIGN(Kubeconfig config, parse_kubeconfig(*text, absolute, files::dirname(absolute)));
  return config;
}

// $KUBECONFIG entries in order, without empty entries and repeats (client-go
// deduplicates the list).
std::vector<std::string> split_env_list(const std::string& value) {
  std::vector<std::string> paths;
  std::set<std::string> seen;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto end = value.find(':', start);
    if (end == std::string::npos)
      end = value.size();
    std::string entry = value.substr(start, end - start);
    if (!entry.empty() && seen.insert(entry).second)
      paths.push_back(std::move(entry));
    start = end + 1;
  }
  return paths;
}

}  // namespace

Result<Kubeconfig> load_kubeconfig(const LoadOptions& options) {
  // An explicit file is used alone, and must exist.
  if (!options.explicit_path.empty()) {
    if (!files::exists(options.explicit_path)) {
      return Error(Errc::config, "kubeconfig " + options.explicit_path + ": file not found",
                   "check the path given to --kubeconfig");
    }
    TRY_ASSIGN(Kubeconfig config, load_file(options.explicit_path));
    config.files_ = {files::absolute(options.explicit_path)};
    return config;
  }
  std::vector<std::string> paths;
  if (options.env_kubeconfig && !options.env_kubeconfig->empty()) {
    paths = split_env_list(*options.env_kubeconfig);
  } else if (!options.home_dir.empty()) {
    paths = {files::join(options.home_dir, ".kube/config")};
  }
  Kubeconfig merged;
  for (const auto& path : paths) {
    merged.searched_ += (merged.searched_.empty() ? "" : ":") + path;
    // Missing files in the list are skipped, as kubectl does.
    if (!files::exists(path)) {
      log::debug("kubeconfig {}: not found, skipped", path);
      continue;
    }
    TRY_ASSIGN(Kubeconfig one, load_file(path));
    one.files_ = {files::absolute(path)};
    merged.merge_from(std::move(one));
  }
  return merged;
}

}  // namespace meshctl::kube
