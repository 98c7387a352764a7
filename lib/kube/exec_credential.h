// Exec credential plugins (client.authentication.k8s.io v1 / v1beta1), how EKS,
// AKS (kubelogin) and GKE authenticate. The plugin runs with an argument vector
// (never a shell); its stderr passes through to the user; its answer is cached
// until expirationTimestamp.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "kube/kubeconfig.h"
#include "util/result.h"
#include "util/secret.h"

namespace meshctl::kube {

struct ExecCredential {
  Secret token;
  std::string client_cert_pem;
  Secret client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiry;
};

struct ExecOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  bool stdin_is_terminal = false;  // decides interactiveMode handling
  // How long a failed run answers for the plugin (ExecCredentialSource): the
  // requests of one stage get its error at once instead of each waiting out
  // another run of a plugin that hangs; later ones (a `status --wait` poll)
  // run it again.
  std::chrono::milliseconds failure_hold{std::chrono::seconds(30)};
};

// Runs the plugin once and parses its ExecCredential. Errors are Errc::credential
// and name the context and the command; a missing binary includes installHint.
Result<ExecCredential> run_exec_plugin(const ExecConfig& exec, const ClusterEntry& cluster,
                                       const std::string& context_name, const ExecOptions& options);

// Parses a plugin's stdout (exposed for tests and fuzzing). Errors start with
// error_prefix and never quote the output, which may hold a secret.
Result<ExecCredential> parse_exec_credential(const std::string& output, const std::string& api_version,
                                             const std::string& error_prefix);

// RFC 3339 time as in expirationTimestamp ("2024-05-01T12:00:00Z", fractions and
// offsets allowed); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);
// The current time as Kubernetes writes it in annotations: "2024-05-01T12:00:00Z".
std::string now_rfc3339();

// Thread-safe cache around run_exec_plugin for one context.
class ExecCredentialSource {
 public:
  ExecCredentialSource(ExecConfig exec, ClusterEntry cluster, std::string context_name, ExecOptions options);
  // Returns the cached credential unless it expired or force_refresh is set
  // (used once after a 401).
  Result<ExecCredential> get(bool force_refresh);

 private:
  ExecConfig exec_;
  ClusterEntry cluster_;
  std::string context_name_;
  ExecOptions options_;
  std::mutex mutex_;
  std::condition_variable finished_;
  bool running_ = false;
  std::uint64_t finished_runs_ = 0;
  std::optional<Result<ExecCredential>> last_run_;  // what callers waiting for that run get
  std::chrono::steady_clock::time_point failed_until_;
  std::optional<ExecCredential> cached_;
};

}  // namespace meshctl::kube
