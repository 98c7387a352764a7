// A refusal or failure that belongs to one cluster, with its cause and its fix
// kept apart: the views print the fix as "(hint: ...)" and -o json carries
// both, so no layer below the views glues them into one string.
#pragma once

#include <string>

#include "util/error.h"

namespace meshctl::mesh {

struct ClusterProblem {
  std::string cluster;  // mesh name (or the context, where no mesh name exists yet)
  Errc code = Errc::internal;
  std::string message;  // one line: cluster and cause
  std::string hint;     // the fix; may be empty

  static ClusterProblem of(std::string cluster, const Error& error, const std::string& prefix = {}) {
    return {std::move(cluster), error.code, prefix.empty() ? error.message : prefix + ": " + error.message,
            error.hint};
  }
};

// What a failed list of RemoteClusterConfigurations in CONTEXT means: a 404 is
// the API not served there (no Calico Enterprise), a precondition with its
// fix, the same line from every command; any other error is itself.
inline Error rcc_list_error(const std::string& context, const Error& error) {
  if (error.code != Errc::not_found)
    return error;
  return Error(Errc::precondition,
               context + ": the RemoteClusterConfiguration API (projectcalico.org/v3) is not served",
               "install Calico Enterprise or Calico Cloud with its API server in this cluster");
}

}  // namespace meshctl::mesh
