// A stored link credential (the kubeconfig in L's link Secret) tried against
// its remote cluster R from this machine, and what that says about a link.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "calico/typha_log.h"

namespace meshctl::mesh {

struct CredentialCheck {
  std::string result =
      "not-checked";  // ok | unauthorized | forbidden | unreachable | invalid | error | not-checked
  std::string detail;
  std::string token_kind;                       // secret | bound | unknown
  std::optional<long long> age_seconds;         // token Secret age (secret tokens)
  std::optional<long long> expires_in_seconds;  // bound tokens
  std::optional<long long> lifetime_seconds;    // bound tokens: from issue (iat) to expiry (exp)
  bool stale = false;                           // stored token differs from R's current federation token
};

// R's own federation token Secret, when it could be read; it dates the stored
// token and tells whether the stored one is still R's current one.
struct RemoteTokenFacts {
  std::optional<std::string> created;  // the token Secret's creationTimestamp
  std::optional<std::string> token;    // its data.token
};

enum class Probe { yes, no };

// Reads the token's kind, age and expiry; with Probe::yes also asks R (as the
// stored identity) whether it may list what Typha lists.
CredentialCheck check_credential(const std::string& kubeconfig_text, const RemoteTokenFacts* remote,
                                 Probe probe, std::chrono::milliseconds request_timeout);

// A bound token that has used 80 % or more of its lifetime (or expired): a
// warning naming the link and the command that renews it; none otherwise.
std::optional<std::string> expiry_warning(const std::string& local, const std::string& remote,
                                          const CredentialCheck& credential);

// TokenRequest may grant less than asked (the API server's
// --service-account-max-token-expiration): a warning saying so, else none.
std::optional<std::string> granted_lifetime_warning(const std::string& context,
                                                    std::chrono::system_clock::time_point expiry,
                                                    std::chrono::seconds asked);

// Calico reports in-sync once per syncer and never takes a later failure back,
// even when the remote comes back. A failure after in-sync, while the stored
// credential works from here, is therefore stale rather than proof of a broken
// link: only a Typha restart can re-verify it.
bool is_stale_failure(const calico::LinkEvent& event, const CredentialCheck& credential);

// Explains a stale failure to the user, ending in the command that re-verifies.
std::string stale_failure_detail(const std::string& remote, const calico::LinkEvent& event,
                                 const std::string& restart_command);

// The command that makes Typha in a cluster re-verify every link: a rollout
// restart of each of its Typha Deployments (calico-typha when none is known).
std::string typha_restart_command(const std::string& context, const std::vector<std::string>& deployments);

}  // namespace meshctl::mesh
