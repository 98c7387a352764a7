// Every Calico name, namespace and label meshctl depends on, in one place
// (facts from ../shared/calico-mesh.md).
#pragma once

#include <string>
#include <string_view>

namespace meshctl::calico {

inline constexpr std::string_view kCalicoNamespace = "calico-system";
inline constexpr std::string_view kLegacyFederationNamespace = "kube-system";
inline constexpr std::string_view kFederationName = "tigera-federation-remote-cluster";
// meshctl's own ClusterRole (and binding) granting the projectcalico.org/v3
// group, which the documented ClusterRole lacks.
inline constexpr std::string_view kFederationV3RoleName = "tigera-federation-remote-cluster-v3";
inline constexpr std::string_view kTyphaServiceAccount = "calico-typha";
// Every Typha that dials remote clusters: the cluster Deployment and, with the
// non-cluster-host feature, a second one under the same ServiceAccount.
inline constexpr std::string_view kTyphaPodSelector =
    "k8s-app in (calico-typha,calico-typha-noncluster-host)";
inline constexpr std::string_view kTyphaDeployments[] = {"calico-typha", "calico-typha-noncluster-host"};
inline constexpr std::string_view kKubeControllersPodSelector = "k8s-app=calico-kube-controllers";
inline constexpr std::string_view kSecretAccessRoleName = "remote-cluster-secret-access";
inline constexpr std::string_view kStoredUserName = "tigera-federation-remote-cluster";
inline constexpr std::string_view kStoredContextName = "tigera-federation-remote-cluster-ctx";
inline constexpr std::string_view kRccGroup = "projectcalico.org";
inline constexpr std::string_view kRccVersion = "v3";
inline constexpr std::string_view kRccPlural = "remoteclusterconfigurations";
inline constexpr std::string_view kTyphaMetricName = "remote_cluster_connection_status";

// Ownership labels on everything meshctl creates.
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "meshctl";
inline constexpr std::string_view kRemoteClusterLabel = "meshctl.projectcalico.org/remote-cluster";
inline constexpr std::string_view kLocalClusterLabel = "meshctl.projectcalico.org/local-cluster";
inline constexpr std::string_view kRoleLabel = "meshctl.projectcalico.org/role";
// kRoleLabel of the disabled IPPools made for Disabled (network-provided) routing.
inline constexpr std::string_view kRemotePoolRole = "remote-pool";
// kRoleLabel of a federated Service (meshctl federate), and the label naming its backing Service.
inline constexpr std::string_view kFederatedServiceRole = "federated-service";
inline constexpr std::string_view kFederatesLabel = "meshctl.projectcalico.org/federates";
// Set (with the time) on an object join took over instead of creating: leave
// and teardown release such an object instead of deleting it. Written by its
// own field manager so that meshctl's server-side applies never remove it.
inline constexpr std::string_view kAdoptedAnnotation = "meshctl.projectcalico.org/adopted";
inline constexpr std::string_view kAdoptionFieldManager = "meshctl-adoption";

// meshctl's federation token Secrets: generation 0 has the documented name,
// each rotation makes the next generation ("<name>-r2"), recorded in this
// annotation. The highest generation present is the current credential.
inline constexpr std::string_view kTokenGenerationAnnotation = "meshctl.projectcalico.org/token-generation";
std::string federation_token_secret_name(int generation);

// Label selector for everything meshctl made: "app.kubernetes.io/managed-by=meshctl".
std::string managed_selector();

// Makes a kubeconfig context name a valid DNS-1123 label, as RCC names must be:
// lower-case, [a-z0-9-], at most 63 characters, starting and ending
// alphanumeric. An EKS ARN keeps its last path segment
// ("arn:aws:eks:us-east-1:123:cluster/prod" -> "prod"); a GKE context
// "gke_project_zone_name" keeps its last part. Returns "" when nothing usable
// remains.
std::string mesh_name_from_context(std::string_view context);

// True when name is a valid DNS-1123 label.
bool is_dns1123_label(std::string_view name);

// Name of the Secret in L that holds the kubeconfig for remote R.
std::string remote_secret_name(std::string_view remote_mesh_name);

// Name of the disabled IPPool in L for one pod CIDR of remote R
// ("remote-cluster-pdx-10-11-0-0-16"): the Secret's name, then the CIDR with
// every character a name cannot hold made a dash.
std::string remote_pool_name(std::string_view remote_mesh_name, std::string_view cidr);

}  // namespace meshctl::calico
