// How meshctl's commands take their flags: contexts as kubectl users type
// them, kubectl's --dry-run modes, -o formats and durations checked and
// converted when the command line is parsed and bound straight into the
// lib/mesh options structs, and the flags join and render share.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "mesh/options.h"
#include "output/reports.h"
#include "util/result.h"

namespace meshctl::cli {

// The clusters of a command: positional CTX arguments and, as kubectl users
// type them, `--context CTX` (repeatable); positional ones first.
struct ContextArgs {
  std::vector<std::string> positional, flagged;
  std::vector<std::string> all() const;
};
void add_context_args(CLI::App& cmd, ContextArgs& args, const std::string& description);

// kubectl's --dry-run: "server" (also the bare flag: meshctl's dry runs ask
// the API server), "client" (no API call; join only) or "none".
enum class DryRun { none, server, client };
enum class ClientDryRun { possible, impossible };
// A flag, not an option: a bare --dry-run must not take the next context as
// its value, so a mode is given as --dry-run=MODE, as kubectl has it. An
// unknown mode, or "client" where the command cannot answer without reading
// the clusters, is a usage error when the command line is parsed.
void add_dry_run_flag(CLI::App& cmd, DryRun& target, const std::string& description, ClientDryRun client);
// The same, for an options struct that only knows dry run or not.
void add_dry_run_flag(CLI::App& cmd, bool& target, const std::string& description);

// A CLI11 check that accepts only CHOICES: `"x" is not WHAT; use a, b`.
CLI::Validator one_of(std::vector<std::string> choices, std::string what);

// A CLI11 check for duration flags (util/duration.h): a bad value is a usage
// error naming the flag, never silently replaced by the default.
CLI::Validator duration_check();
// A duration flag bound into an options field (whole seconds round up).
void add_duration_flag(CLI::App& cmd, const std::string& name, std::chrono::seconds& target,
                       const std::string& description, const std::string& default_text);
void add_duration_flag(CLI::App& cmd, const std::string& name, std::chrono::milliseconds& target,
                       const std::string& description, const std::string& default_text);

// -o/--output bound into a Format. CHOICES ("table|json|yaml") is what help
// and completion list; the first is the default.
void add_output_flag(CLI::App& cmd, output::Format& target, const std::string& choices);

// --namespace: the federation namespace, marked as given (no legacy
// kube-system lookup).
void add_federation_namespace_flag(CLI::App& cmd, mesh::JoinOptions& options, const std::string& description);

// The flags join and render share (which clusters, how peers reach them,
// where the objects go, the Calico checks), bound into OPTIONS; the contexts
// and --server values become options.members and server_overrides in
// finish_mesh_options, once all of them are known.
struct MeshFlags {
  mesh::JoinOptions options;
  ContextArgs clusters;
  std::vector<std::string> servers;
  bool print_permissions = false;
};
void add_mesh_flags(CLI::App& cmd, MeshFlags& f);
// Errc::usage for fewer than two contexts, a context given twice, mesh names
// that collide, or a --server that is not NAME=URL of one of them.
Status finish_mesh_options(const std::string& command, MeshFlags& f);

// The render command a placeholder's note names: the same clusters, servers
// and namespaces, with --include-credentials, into OUT_DIR (or -o yaml).
std::string render_fill_command(const MeshFlags& f, const std::string& out_dir);

// `meshctl <command> --print-required-permissions`: what the options need in
// every cluster.
int print_required_permissions(const std::string& command, const mesh::JoinOptions& options);

}  // namespace meshctl::cli
