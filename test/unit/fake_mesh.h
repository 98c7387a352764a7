// Meshes of in-memory clusters for unit tests of join, status and rotate,
// and real Enterprise Typha lines about a remote (as calico_typha_log_test.cpp
// quotes them).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "calico/names.h"
#include "fake_cluster.h"
#include "mesh/join.h"

namespace meshctl::test {

namespace r = kube::resources;
using kube::Json;

inline const std::string kNs(calico::kCalicoNamespace);

struct FakeMesh {
  std::vector<mesh::Cluster> clusters;
  std::map<std::string, FakeCluster*> fakes;

  // Calico Enterprise with a licence, one Typha replica (its log: typha_says)
  // and a token controller.
  FakeCluster* add(const std::string& name, const std::string& server) {
    auto fake = std::make_unique<FakeCluster>();
    for (const char* ns : {"calico-system", "kube-system", "default"})
      fake->put(r::namespaces, object_named("", ns));
    Json info = object_named("", "default");
    info["spec"] = {{"cnxVersion", "v3.21.2"}, {"calicoVersion", "v3.30.3"}};
    fake->put({"crd.projectcalico.org", "v1", "clusterinformations", false}, info);
    Json licence = object_named("", "default");
    licence["status"] = {{"expiry", "2099-01-01T00:00:00Z"}};
    fake->put({"crd.projectcalico.org", "v1", "licensekeys", false}, licence);
    Json typha = object_named(kNs, "calico-typha-5d8f7-abcde", {{"k8s-app", "calico-typha"}});
    typha["status"] = {{"phase", "Running"}, {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
    fake->put(r::pods, typha);
    fake->fill_tokens();
    mesh::Cluster c{{name, name}, {}, std::move(fake)};
    c.context.context_name = name;
    c.context.cluster.server = server;
    c.context.cluster.ca_pem = "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n";
    fakes[name] = static_cast<FakeCluster*>(c.client.get());
    clusters.push_back(std::move(c));
    return fakes[name];
  }

  void typha_says(const std::string& cluster, const std::string& log) {
    fakes[cluster]->set_pod_log(kNs, "calico-typha-5d8f7-abcde", log);
  }

  mesh::JoinReport join(bool wait = false, bool dry_run = false) {
    mesh::JoinOptions options;
    for (const auto& c : clusters)
      options.members.push_back(c.member);
    options.lab = true;
    options.wait = wait;
    options.dry_run = dry_run;
    options.timeout = std::chrono::seconds(1);  // a link that never settles waits this long
    return mesh::run_join(clusters, options, [](auto, auto) {});
  }
};

inline FakeMesh two_clusters() {
  FakeMesh mesh;
  mesh.add("iad", "https://127.0.0.2:6443");
  mesh.add("pdx", "https://127.0.0.3:6443");
  return mesh;
}

inline std::string in_sync_line(const std::string& remote) {
  return "2026-03-31 11:40:01.530 [INFO][7] typha/wrappedcallbacks.go 501: Sending in-sync update for "
         "RemoteClusterConfiguration(" +
         remote + ")\n";
}

inline std::string failed_line(const std::string& remote) {
  return "2026-03-31 11:52:09.007 [INFO][7] typha/wrappedcallbacks.go 533: Sending connection failed update "
         "for "
         "RemoteClusterConfiguration(" +
         remote +
         ") error=Get \"https://127.0.0.3:6443/api/v1/pods?limit=500\": dial tcp 127.0.0.3:6443: connect: "
         "connection refused\n";
}

}  // namespace meshctl::test
