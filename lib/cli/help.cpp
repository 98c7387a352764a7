#include "cli/help.h"

#include <array>
#include <utility>

namespace meshctl::cli {
namespace {

// Shown after the flags by `meshctl CMD --help` and in the man page: what the
// command does beyond its one-line summary, and examples to copy.
constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kLongHelp{{
    {"join",
     "\n"
     "Each CTX is a kubeconfig context; its mesh name (the RemoteClusterConfiguration name peers use)\n"
     "is the context made DNS-1123-safe, or NAME=CTX. Re-running is safe: unchanged objects are not "
     "written.\n"
     "\n"
     "Examples:\n"
     "  meshctl join iad pdx fra\n"
     "  meshctl join prod=arn:aws:eks:us-east-1:111122223333:cluster/prod stage=kind-stage \\\n"
     "      --server stage=https://10.0.0.5:6443\n"
     "  meshctl join iad pdx --dry-run -o yaml\n"
     "  meshctl join iad pdx --restart-stale-typha   # after an outage Typha never reports recovering from"},
    {"status",
     "\n"
     "Without contexts, every kubeconfig context that has RemoteClusterConfigurations or meshctl objects.\n"
     "Each row is a link LOCAL <- REMOTE: Typha's state in LOCAL (every replica), whether the objects\n"
     "match what join writes, and whether the stored credential still works against REMOTE (checked\n"
     "from this machine). Exit code 0 only when every link is healthy.\n"
     "\n"
     "Examples:\n"
     "  meshctl status\n"
     "  meshctl status iad pdx -o json\n"
     "  meshctl status --wait --timeout 10m"},
    {"render",
     "\n"
     "Reads the clusters as join does (same checks, only read permissions needed) and writes, for each\n"
     "cluster, the federation objects and one link per peer. Nothing is written to any cluster.\n"
     "\n"
     "A link Secret needs the remote's federation token, which exists once the remote's objects were\n"
     "applied. Without --include-credentials every link Secret holds a placeholder and names the command\n"
     "that fills it; with it, the tokens are written (files 0600) for you to seal or encrypt.\n"
     "\n"
     "Examples:\n"
     "  meshctl render iad pdx --out-dir mesh/            # mesh/iad, mesh/pdx, each with "
     "kustomization.yaml\n"
     "  kubectl --context iad apply -k mesh/iad && kubectl --context pdx apply -k mesh/pdx\n"
     "  meshctl render iad pdx --out-dir mesh/ --include-credentials   # once the tokens exist\n"
     "  meshctl render iad pdx -o yaml                    # one stream, a comment names each cluster"},
    {"rotate",
     "\n"
     "For each CTX (default: every context of the kubeconfig): a new federation token Secret (generation\n"
     "N+1) is issued, every context holding a meshctl link to it gets the new token, each of those links\n"
     "must be reported in sync by the peer's Typha, and only then are the older token Secrets deleted.\n"
     "Until then both credentials are valid, so no link breaks, and an interrupted rotation is finished by\n"
     "running the same command again. Peers that store bound tokens (join --token bound) get a fresh one;\n"
     "bound tokens cannot be revoked one by one and expire on their own. An old token Secret meshctl took\n"
     "over from the documented procedure is released, not deleted, unless --include-adopted.\n"
     "\n"
     "Examples:\n"
     "  meshctl rotate iad              # iad's credential; its peers are found in the kubeconfig\n"
     "  meshctl rotate --dry-run        # what rotating every cluster would change\n"
     "  meshctl rotate iad pdx -o json"},
    {"leave",
     "\n"
     "Deletes, by meshctl's labels: in each leaving cluster every meshctl object (its links and its\n"
     "federation identity, so the token its peers held stops working); in every other context of the\n"
     "kubeconfig the links that point at a leaver. Hand-made RemoteClusterConfigurations are reported,\n"
     "not deleted, unless --include-unmanaged. Objects join took over (they existed before it) are\n"
     "released (kept, meshctl's labels removed), unless --include-adopted.\n"
     "\n"
     "Examples:\n"
     "  meshctl leave fra\n"
     "  meshctl leave fra --dry-run"},
    {"teardown",
     "\n"
     "Deletes what leave deletes, for every named cluster at once. Without contexts it searches every\n"
     "context of the kubeconfig and asks first on a terminal; a script passes --yes.\n"
     "\n"
     "Examples:\n"
     "  meshctl teardown iad pdx fra\n"
     "  meshctl teardown --dry-run -o json\n"
     "  meshctl teardown --yes        # every context, no prompt (CI)"},
    {"federate",
     "\n"
     "Labels the backing Service in every member that has it, creates the selector-less federated\n"
     "Service (annotation federation.tigera.io/serviceSelector, ports copied by name) in every member\n"
     "(or --in), and waits until Calico's federated-services controller lists, in each, the endpoints of\n"
     "every cluster with ready backends (its Endpoints and the EndpointSlices Kubernetes mirrors).\n"
     "\n"
     "Examples:\n"
     "  meshctl federate testdb -n redis\n"
     "  meshctl federate testdb -n redis iad pdx --in iad\n"
     "  meshctl federate testdb -n redis --selector federation=yes --name testdb-global"},
    {"unfederate",
     "\n"
     "Deletes the federated Service where meshctl made it, and removes federate's label from the\n"
     "backing Services unless someone else set the same label too.\n"
     "\n"
     "Examples:\n"
     "  meshctl unfederate testdb -n redis\n"
     "  meshctl unfederate testdb -n redis --dry-run"},
    {"version",
     "\n"
     "Examples:\n"
     "  meshctl version\n"
     "  meshctl version -o json\n"
     "  meshctl version --context iad"},
    {"contexts",
     "\n"
     "Examples:\n"
     "  meshctl contexts\n"
     "  meshctl contexts --check      # runs login plugins, asks each server\n"
     "  meshctl contexts -o name"},
    {"completion",
     "\n"
     "Examples:\n"
     "  source <(meshctl completion bash)\n"
     "  source <(meshctl completion zsh)\n"
     "  meshctl completion fish | source\n"
     "  meshctl completion zsh > \"${fpath[1]}/_meshctl\"   # once, for every new shell\n"
     "\n"
     "As the kubectl plugin (kubectl meshctl), completion comes through kubectl 1.26+ and the\n"
     "kubectl_complete-meshctl script installed beside meshctl (on PATH); no script to load."},
}};

}  // namespace

std::string long_help(std::string_view command) {
  for (const auto& [name, text] : kLongHelp) {
    if (name == command)
      return std::string(text);
  }
  return {};
}

}  // namespace meshctl::cli
