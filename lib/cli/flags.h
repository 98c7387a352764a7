// The flags join and render share (which clusters, how peers reach them,
// where the objects go, the Calico checks), bound once for both commands.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "app.h"
#include "calico/names.h"
#include "mesh/options.h"

namespace meshctl::cli {

struct MeshFlags {
  ContextArgs clusters;
  std::vector<std::string> servers;
  std::string federation_namespace;
  std::string secret_namespace{calico::kCalicoNamespace};
  std::string overlay_routing;  // empty: derived per cluster
  bool force = false;
  bool allow_loopback = false;
  bool print_permissions = false;
  std::vector<std::string> skipped_checks;  // --skip-check
};

void add_mesh_flags(CLI::App& cmd, MeshFlags& f);

// The options these flags decide; the command sets the rest.
Result<mesh::JoinOptions> mesh_options(const MeshFlags& f);

// `meshctl <command> --print-required-permissions`: what the options need in
// every cluster.
int print_required_permissions(const std::string& command, const MeshFlags& f, bool read_only);

}  // namespace meshctl::cli
