// Fuzzes read_remote_kubeconfig, which reads back the kubeconfig stored in a
// remote cluster's Secret (data that came from a cluster, not from the user).
#include <cstddef>
#include <cstdint>
#include <string>

#include "calico/remote_kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)meshctl::calico::read_remote_kubeconfig(text);
  return 0;
}
