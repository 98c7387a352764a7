// Loading kubeconfig files with kubectl's semantics (client-go's
// clientcmd loading rules), read-only: meshctl never writes the user's files.
//
// Precedence: explicit path (--kubeconfig) > $KUBECONFIG (':'-separated list,
// merged, missing files skipped) > ~/.kube/config. In a merge the first file
// that defines a cluster/user/context name wins, and current-context comes from
// the first file that sets it. Relative file paths inside a file resolve against
// that file's directory.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/secret.h"

namespace meshctl::kube {

enum class InteractiveMode { never, if_available, always };

// users[].user.exec
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
  InteractiveMode interactive_mode = InteractiveMode::if_available;
};

struct ClusterEntry {
  std::string name;
  std::string server;
  std::string ca_pem;  // from certificate-authority(-data); empty: system trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string proxy_url;
  std::string source_file;  // the kubeconfig file that defined this entry
};

enum class AuthKind { none, token, token_file, client_cert, basic, exec, auth_provider };
const char* auth_kind_name(AuthKind kind);

// Every field the kubeconfig sets is filled in, even when several methods are
// combined (client-go sends a bearer token and a client certificate together);
// `kind` names the one that identifies the user: exec, then token(File), then
// client certificate, then basic. A context without a user resolves to kind none
// (anonymous, as in kubectl).
struct UserEntry {
  std::string name;
  AuthKind kind = AuthKind::none;
  Secret token;            // token, or the content of tokenFile at load time
  std::string token_file;  // absolute path when tokenFile was used (re-read on 401)
  std::string client_cert_pem;
  Secret client_key_pem;
  std::string username;
  Secret password;
  std::optional<ExecConfig> exec;
  std::string auth_provider_name;  // set when the user has auth-provider (unsupported)
  std::string source_file;
};

// One context with its cluster and user resolved.
struct ResolvedContext {
  std::string context_name;
  std::string namespace_name;  // context's namespace, "default" when unset
  ClusterEntry cluster;
  UserEntry user;
};

struct LoadOptions {
  std::string explicit_path;                  // --kubeconfig; empty when not given
  std::optional<std::string> env_kubeconfig;  // $KUBECONFIG as read by the caller
  std::string home_dir;                       // for ~/.kube/config
};

// Reads $KUBECONFIG and $HOME from the environment into LoadOptions.
LoadOptions load_options_from_environment(const std::string& explicit_path);

struct ContextSummary {
  std::string name;
  std::string cluster;
  std::string user;
  std::string namespace_name;
};

class Kubeconfig {
 public:
  // The files that were read, in precedence order.
  const std::vector<std::string>& files() const { return files_; }
  const std::string& current_context() const { return current_context_; }
  // Contexts in the order they were first seen.
  std::vector<ContextSummary> contexts() const;
  bool has_context(const std::string& name) const;

  // Resolves a context (empty name: current-context). Errors (Errc::config) name
  // the file, the context and the field: unknown context, missing cluster/user,
  // bad base64, unreadable certificate file, server URL without scheme.
  Result<ResolvedContext> resolve(const std::string& context_name) const;

 private:
  // Entries as written, with relative paths already made absolute; files are
  // read and checked in resolve(), so one broken entry only breaks the contexts
  // that use it.
  struct RawCluster {
    ClusterEntry entry;  // everything but ca_pem
    std::string ca_file;
    std::string ca_data;  // decoded certificate-authority-data
    std::string error;    // deferred: reported by resolve() with the context
    std::string hint;     // how to fix `error`
  };
  struct RawUser {
    UserEntry entry;  // inline fields decoded; file-backed ones still to read
    std::string token_file;
    std::string cert_file;
    std::string key_file;
    std::string error;
    std::string hint;
  };
  struct RawContext {
    ContextSummary summary;
    std::string source_file;
  };

  friend Result<Kubeconfig> load_kubeconfig(const LoadOptions& options);
  friend Result<Kubeconfig> parse_kubeconfig(const std::string& text, const std::string& source,
                                             const std::string& base_dir);
  friend struct KubeconfigParser;
  // Adds entries of `other` whose names are not defined yet (first file wins).
  void merge_from(Kubeconfig&& other);
  Result<ClusterEntry> resolve_cluster(const RawContext& context) const;
  Result<UserEntry> resolve_user(const RawContext& context) const;
  std::string describe_sources() const;

  std::vector<std::string> files_;
  std::string searched_;  // what was looked for, named in errors when files_ is empty
  std::string current_context_;
  std::vector<RawContext> contexts_;  // in the order first seen
  std::map<std::string, RawCluster> clusters_;
  std::map<std::string, RawUser> users_;
};

// Errc::config on malformed YAML or a missing explicit file. A file that does not
// exist is an error only when it was named by --kubeconfig (as in kubectl).
Result<Kubeconfig> load_kubeconfig(const LoadOptions& options);

// Parses one kubeconfig document from text (used by load_kubeconfig and by
// tests and fuzzers). `source` names it in errors; `base_dir` resolves relative
// paths.
Result<Kubeconfig> parse_kubeconfig(const std::string& text, const std::string& source,
                                    const std::string& base_dir);

}  // namespace meshctl::kube
