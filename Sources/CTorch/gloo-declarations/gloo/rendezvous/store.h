// The PyPI torch wheel ships torch/csrc/distributed/c10d/ProcessGroupGloo.hpp but not the Gloo
// headers it includes (third_party/gloo). ProcessGroupGloo holds Gloo objects only behind
// pointers (shared_ptr, unique_ptr), so these declarations are enough for the shim to parse the
// real header with the real class layout and call the functions libtorch_cpu.so exports; no Gloo
// code is compiled from them. Only what ProcessGroupGloo.hpp names is declared, with the
// signatures of Gloo's own headers (https://github.com/pytorch/gloo: gloo/context.h,
// gloo/rendezvous/store.h, gloo/transport/device.h, gloo/transport/unbound_buffer.h).
// See Sources/CTorch/ctorch.cpp, "c10d", and docs/DISTRIBUTED.md.
#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace gloo {
namespace rendezvous {
class Store {
 public:
  virtual ~Store() = default;
  virtual void set(const std::string &key, const std::vector<char> &data) = 0;
  virtual std::vector<char> get(const std::string &key) = 0;
  virtual void wait(const std::vector<std::string> &keys) = 0;
  virtual void wait(const std::vector<std::string> &keys, const std::chrono::milliseconds &timeout) = 0;
};
} // namespace rendezvous
} // namespace gloo
