// A cluster taking part in a mesh operation: its mesh name, its kubeconfig
// context, and a client for it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/kubeconfig.h"

namespace meshctl::mesh {

struct Member {
  std::string mesh_name;  // DNS-1123; names the RCC in every peer
  std::string context;    // kubeconfig context
};

// Parses "NAME=CTX" or "CTX" (mesh name derived from the context).
// Errc::usage when no valid mesh name can be derived.
Result<Member> parse_member(const std::string& arg);

// Refuses duplicate contexts and mesh names that collide (after sanitising),
// in one Errc::usage line naming both contexts, with a NAME=CTX example.
Status check_members(const std::vector<Member>& members);

// The clusters a command names: each argument parsed, then all checked together.
Result<std::vector<Member>> parse_members(const std::vector<std::string>& args);

struct Cluster {
  Member member;
  kube::ResolvedContext context;
  std::unique_ptr<kube::ClusterApi> client;  // a kube::Client; a fake in unit tests
};

// Resolves every member's context and creates its client. One problem is
// returned as it is (its code and hint kept); several are collected, one line
// each with its hint, into a single Errc::config error.
Result<std::vector<Cluster>> open_clusters(const kube::Kubeconfig& config, const std::vector<Member>& members,
                                           const kube::ClientOptions& options);

}  // namespace meshctl::mesh
