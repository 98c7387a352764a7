// What every calico-typha replica of one cluster says about its remote
// clusters. Each replica syncs on its own and each Felix talks to one replica,
// so a link counts as in sync only when every replica says so.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "calico/typha_log.h"
#include "kube/client.h"

namespace meshctl::mesh {

struct ReplicaView {
  std::string pod;
  std::string source;  // "metrics" or "logs"
  std::string error;   // set when neither could be read
  calico::TyphaReport report;
};

struct TyphaView {
  std::vector<ReplicaView> replicas;
  std::string error;  // listing the pods failed
  Errc error_code = Errc::internal;

  // The worst state any replica reports for `remote` (unknown where a replica
  // says nothing), with that replica's words.
  // `secret_name` (the link's Secret) attributes Typha lines that name no RCC.
  calico::LinkEvent link(const std::string& remote, const std::string& secret_name = {}) const;
};

struct TyphaReadOptions {
  int tail_lines = 2000;
  std::optional<int> since_seconds;  // only what Typha said since then
};

TyphaView read_typha(kube::Client& client, const TyphaReadOptions& options);

// A link a caller waits for: the RCC's name and its Secret's name.
struct WantedLink {
  std::string remote, secret_name;
};

// Follows the log of every Ready replica, starting `since_seconds` ago, until
// that replica reports every wanted link in sync, its log ends (a restart) or
// `timeout` passes. One request per replica for the whole wait, where polling
// would send several a second. A replica that is not Ready reports an error at
// once; the caller decides whether to look again.
TyphaView follow_typha(kube::Client& client, int since_seconds, const std::vector<WantedLink>& wanted,
                       std::chrono::milliseconds timeout);

}  // namespace meshctl::mesh
