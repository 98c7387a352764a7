// meshctl render CTX CTX [CTX...] [--out-dir DIR | -o yaml|json]
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "calico/names.h"
#include "cli/flags.h"
#include "commands.h"
#include "mesh/render.h"
#include "util/log.h"

namespace meshctl::cli {
namespace {

struct RenderFlags {
  MeshFlags mesh;
  std::string out_dir;
  bool include_credentials = false;
  output::Format format = output::Format::yaml;
};

// The command a placeholder's note names: this render, with credentials.
std::string fill_command(const RenderFlags& f) {
  std::string command =
      fmt::format("meshctl render {} --include-credentials", fmt::join(f.mesh.clusters.all(), " "));
  for (const auto& s : f.mesh.servers)
    command += " --server " + s;
  if (f.mesh.options.federation_namespace_given)
    command += " --namespace " + f.mesh.options.federation_namespace;
  if (f.mesh.options.secret_namespace != calico::kCalicoNamespace)
    command += " --secret-namespace " + f.mesh.options.secret_namespace;
  return command + (f.out_dir.empty() ? " -o yaml" : " --out-dir " + f.out_dir);
}

Result<int> run_render(Session& session, RenderFlags& f) {
  mesh::JoinOptions& options = f.mesh.options;
  options.read_only = true;  // render needs only the reads
  options.wait = false;
  if (f.mesh.print_permissions)
    return print_required_permissions("render", options);
  TRY(finish_mesh_options("render", f.mesh));
  TRY_ASSIGN(auto config, session.load_kubeconfig());
  TRY_ASSIGN(auto clusters, mesh::open_clusters(config, options.members, session.client_options()));
  auto report =
      mesh::run_render(clusters, options,
                       f.include_credentials ? mesh::Credentials::included : mesh::Credentials::placeholders);
  if (f.include_credentials && report.problems.empty())
    log::warn(
        "{} holds the federation tokens of the clusters: keep it out of version control unless sealed or "
        "encrypted",
        f.out_dir.empty() ? std::string("the output") : "every link Secret file (mode 0600)");
  if (f.out_dir.empty())
    return output::show(report, session.view(f.format), fill_command(f));
  return output::write(report, f.out_dir, fill_command(f));
}

}  // namespace

void add_render_command(CLI::App& root, Session& session) {
  auto f = std::make_shared<RenderFlags>();
  auto* cmd = root.add_subcommand(
      "render", "Write the objects join would write, per cluster and in apply order, for GitOps (read-only)");
  cmd->footer(
      "\nReads the clusters as join does (same checks, only read permissions needed) and writes, for each\n"
      "cluster, the federation objects and one link per peer. Nothing is written to any cluster.\n\n"
      "A link Secret needs the remote's federation token, which exists once the remote's objects were\n"
      "applied. Without --include-credentials every link Secret holds a placeholder and names the command\n"
      "that fills it; with it, the tokens are written (files 0600) for you to seal or encrypt.\n\n"
      "Examples:\n"
      "  meshctl render iad pdx --out-dir mesh/            # mesh/iad, mesh/pdx, each with "
      "kustomization.yaml\n"
      "  kubectl --context iad apply -k mesh/iad && kubectl --context pdx apply -k mesh/pdx\n"
      "  meshctl render iad pdx --out-dir mesh/ --include-credentials   # once the tokens exist\n"
      "  meshctl render iad pdx -o yaml                    # one stream, a comment names each cluster");
  add_mesh_flags(*cmd, f->mesh);
  cmd->add_option("--out-dir", f->out_dir,
                  "Write DIR/<cluster>/NN-<kind>-<name>.yaml and DIR/<cluster>/kustomization.yaml");
  cmd->add_flag("--include-credentials", f->include_credentials,
                "Write the remotes' federation tokens into the link Secrets instead of placeholders");
  add_output_flag(*cmd, f->format, "yaml|json");
  cmd->get_option("--output")->description("yaml|json (without --out-dir)");
  on_run(cmd, session, [&session, f] { return run_render(session, *f); });
}

}  // namespace meshctl::cli
