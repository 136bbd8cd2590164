// ctorch.cpp: the C API of ctorch.h over libtorch's C++ API. Every function body runs inside
// CTORCH_TRY, which turns any C++ exception into a nonzero status and a thread-local message
// (tch-rs does the same with its PROTECT macro).
#include "ctorch.h"

// The libtorch checks come first, before any heavy header (a clear message instead of pages
// of errors from headers of the wrong version). The pin comes from Package.swift (.define);
// Tests/TorchTests/ShimBuildCheckTests.swift compiles this file against fake libtorch folders.
#if !__has_include(<torch/torch.h>) || !__has_include(<torch/version.h>)
#error "libtorch's headers are not found: the libtorch folder (LIBTORCH, by default .libtorch/torch) has no include/torch/torch.h; run scripts/setup-libtorch.sh (it installs the pinned PyPI torch wheel's libtorch into .libtorch), or set LIBTORCH to a libtorch folder that holds include/ and lib/; where arena is a dependency of another package, PKG_CONFIG_PATH must name the folder holding arena-libtorch.pc (scripts/setup-libtorch.sh writes it into .libtorch, or ARENA_LIBTORCH_DIR)"
#endif
#include <torch/version.h>
#if TORCH_VERSION_MAJOR < 2
#error "arena needs libtorch 2.x (found an older torch/version.h); run scripts/setup-libtorch.sh"
#endif
#if !defined(ARENA_TORCH_ANY_VERSION) && defined(ARENA_TORCH_PIN_MAJOR) && \
    (TORCH_VERSION_MAJOR != ARENA_TORCH_PIN_MAJOR || TORCH_VERSION_MINOR != ARENA_TORCH_PIN_MINOR)
#error "this libtorch is not the version arena is pinned to (Package.swift's pinnedTorch, scripts/setup-libtorch.sh): fixtures and benchmarks assume the pinned one; run scripts/setup-libtorch.sh, or set LIBTORCH_ANY_VERSION=1 to build anyway"
#endif

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/autocast_mode.h>
#include <dlfcn.h>
#include <torch/torch.h>

// c10d, PyTorch's distributed engine (ProcessGroupGloo over a TCPStore), from libtorch_cpu.so.
// The PyPI wheel has c10d's headers but not Gloo's: Package.swift puts gloo-declarations/ on the
// include path (the few Gloo declarations ProcessGroupGloo.hpp needs; Gloo objects sit behind
// pointers there, so the class layout is the real one). Without them (the fake libtorch folders
// of ShimBuildCheckTests, a libtorch without c10d) the ctorch_process_group_* functions fail
// with a message instead.
#if __has_include(<torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>) && __has_include(<gloo/context.h>)
#define CTORCH_HAS_C10D 1
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#else
#define CTORCH_HAS_C10D 0
#endif

#include <cmath>
#include <climits>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

static_assert(CTORCH_UINT8 == static_cast<int>(c10::ScalarType::Byte), "dtype code");
static_assert(CTORCH_INT8 == static_cast<int>(c10::ScalarType::Char), "dtype code");
static_assert(CTORCH_INT16 == static_cast<int>(c10::ScalarType::Short), "dtype code");
static_assert(CTORCH_INT32 == static_cast<int>(c10::ScalarType::Int), "dtype code");
static_assert(CTORCH_INT64 == static_cast<int>(c10::ScalarType::Long), "dtype code");
static_assert(CTORCH_FLOAT16 == static_cast<int>(c10::ScalarType::Half), "dtype code");
static_assert(CTORCH_FLOAT32 == static_cast<int>(c10::ScalarType::Float), "dtype code");
static_assert(CTORCH_FLOAT64 == static_cast<int>(c10::ScalarType::Double), "dtype code");
static_assert(CTORCH_BOOL == static_cast<int>(c10::ScalarType::Bool), "dtype code");
static_assert(CTORCH_BFLOAT16 == static_cast<int>(c10::ScalarType::BFloat16), "dtype code");
static_assert(CTORCH_CPU == static_cast<int>(c10::DeviceType::CPU), "device code");
static_assert(CTORCH_CUDA == static_cast<int>(c10::DeviceType::CUDA), "device code");

namespace {

thread_local std::string last_error;
thread_local int64_t live_tensors = 0;

void set_error(const char *message) { last_error = message ? message : "unknown error"; }

struct Generator {
  at::Generator generator;
};

struct Optimizer {
  std::unique_ptr<torch::optim::Optimizer> optimizer;
};

// torch.optim.AdamW(fused=True) (torch/optim/adam.py, _fused_adam, v2.15.0): each group's
// parameters updated by one at::_fused_adamw_ call. The state is AdamW's own
// (AdamWParamState: step, exp_avg, exp_avg_sq, max_exp_avg_sq), so serialisation is AdamW's.
class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;

  torch::Tensor step(LossClosure closure = nullptr) override {
    torch::NoGradGuard no_grad;
    torch::Tensor loss;
    if (closure != nullptr) {
      at::AutoGradMode enable_grad(true);
      loss = closure();
    }
    for (auto &group : param_groups_) {
      auto &options = static_cast<torch::optim::AdamWOptions &>(group.options());
      std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps;
      for (auto &p : group.params()) {
        if (!p.grad().defined()) continue;
        if (p.grad().is_sparse()) throw std::invalid_argument("AdamW does not support sparse gradients");
        auto key = p.unsafeGetTensorImpl();
        auto found = state_.find(key);
        if (found == state_.end()) {
          auto state = std::make_unique<torch::optim::AdamWParamState>();
          state->step(0);
          state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
          state->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
          if (options.amsgrad()) state->max_exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
          found = state_.emplace(key, std::move(state)).first;
        }
        auto &state = static_cast<torch::optim::AdamWParamState &>(*found->second);
        state.step(state.step() + 1);
        params.push_back(p);
        grads.push_back(p.grad());
        exp_avgs.push_back(state.exp_avg());
        exp_avg_sqs.push_back(state.exp_avg_sq());
        if (options.amsgrad()) max_exp_avg_sqs.push_back(state.max_exp_avg_sq());
        steps.push_back(torch::full({}, static_cast<double>(state.step()), p.options().dtype(at::kFloat)));
      }
      if (params.empty()) continue;
      at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, options.lr(),
                        std::get<0>(options.betas()), std::get<1>(options.betas()), options.weight_decay(),
                        options.eps(), options.amsgrad(), /*maximize=*/false);
    }
    return loss;
  }
};

torch::Tensor &unwrap(ctorch_tensor tensor) {
  if (tensor == nullptr) throw std::invalid_argument("a tensor handle is NULL");
  return *reinterpret_cast<torch::Tensor *>(tensor);
}

ctorch_tensor wrap(torch::Tensor tensor) {
  if (!tensor.defined()) throw std::runtime_error("libtorch returned an undefined tensor");
  auto handle = reinterpret_cast<ctorch_tensor>(new torch::Tensor(std::move(tensor)));
  live_tensors++;
  return handle;
}

template <typename T> T *require(T *pointer, const char *name) {
  if (pointer == nullptr) throw std::invalid_argument(std::string(name) + " is NULL");
  return pointer;
}

c10::ScalarType scalar_type(int32_t dtype) {
  switch (dtype) {
  case CTORCH_UINT8: case CTORCH_INT8: case CTORCH_INT16: case CTORCH_INT32: case CTORCH_INT64:
  case CTORCH_FLOAT16: case CTORCH_FLOAT32: case CTORCH_FLOAT64: case CTORCH_BOOL:
  case CTORCH_BFLOAT16:
    return static_cast<c10::ScalarType>(dtype);
  default:
    throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
  }
}

c10::Device device(int32_t type, int32_t index) {
  switch (type) {
  case CTORCH_CPU: return c10::Device(c10::DeviceType::CPU);
  case CTORCH_CUDA: return c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index));
  default: throw std::invalid_argument("unknown device type " + std::to_string(type));
  }
}

torch::TensorOptions options(int32_t dtype, int32_t device_type, int32_t device_index) {
  return torch::TensorOptions().dtype(scalar_type(dtype)).device(device(device_type, device_index));
}

c10::IntArrayRef sizes(const int64_t *values, size_t rank) {
  if (values == nullptr && rank > 0) throw std::invalid_argument("a shape pointer is NULL");
  return c10::IntArrayRef(values, rank);
}

std::vector<torch::Tensor> tensors(const ctorch_tensor *handles, size_t count) {
  if (handles == nullptr && count > 0) throw std::invalid_argument("a tensor array is NULL");
  std::vector<torch::Tensor> result;
  result.reserve(count);
  for (size_t i = 0; i < count; i++) result.push_back(unwrap(handles[i]));
  return result;
}

c10::optional<at::Generator> generator(ctorch_generator handle) {
  if (handle == nullptr) return c10::nullopt;
  return reinterpret_cast<Generator *>(handle)->generator;
}

torch::Tensor optional_tensor(ctorch_tensor handle) {
  return handle == nullptr ? torch::Tensor() : unwrap(handle);
}

int64_t reduction(int32_t code) {
  switch (code) {
  case 0: return at::Reduction::None;
  case 1: return at::Reduction::Mean;
  case 2: return at::Reduction::Sum;
  default: throw std::invalid_argument("unknown reduction " + std::to_string(code));
  }
}

void write_array(const std::vector<torch::Tensor> &parts, ctorch_tensor **out, size_t *count) {
  auto array = static_cast<ctorch_tensor *>(std::calloc(parts.size() == 0 ? 1 : parts.size(),
                                                        sizeof(ctorch_tensor)));
  if (array == nullptr) throw std::bad_alloc();
  try {
    for (size_t i = 0; i < parts.size(); i++) array[i] = wrap(parts[i]);
  } catch (...) {
    for (size_t i = 0; i < parts.size(); i++) ctorch_tensor_free(array[i]);
    std::free(array);
    throw;
  }
  *out = array;
  *count = parts.size();
}

torch::optim::Optimizer &unwrap(ctorch_optimizer handle) {
  return *require(reinterpret_cast<Optimizer *>(handle), "the optimizer handle")->optimizer;
}

// The body of a checkpointed block and its owner's release (ctorch_checkpoint). Kept in the
// autograd context as a capsule, so it lives exactly as long as the graph may run backward.
struct CheckpointBody : torch::CustomClassHolder {
  ctorch_checkpoint_body body;
  ctorch_checkpoint_release release;
  void *context;
  // The forward pass's state, restored for the recomputation.
  c10::Device device = c10::Device(c10::DeviceType::CPU);
  at::Tensor generator_state;
  bool autocast_cpu = false, autocast_cuda = false;
  c10::ScalarType autocast_cpu_dtype = at::kBFloat16, autocast_cuda_dtype = at::kHalf;

  CheckpointBody(ctorch_checkpoint_body body, ctorch_checkpoint_release release, void *context)
      : body(body), release(release), context(context) {}
  ~CheckpointBody() override {
    if (release != nullptr) release(context);
  }

  torch::Tensor run(const torch::Tensor &input) {
    ctorch_tensor output = nullptr;
    auto handle = wrap(input);
    int status = body(context, handle, &output);
    delete reinterpret_cast<torch::Tensor *>(handle);
    live_tensors--;
    if (status != 0) {
      if (output != nullptr) { delete reinterpret_cast<torch::Tensor *>(output); live_tensors--; }
      throw std::runtime_error(last_error.empty() ? "a checkpointed block failed" : last_error);
    }
    if (output == nullptr) throw std::runtime_error("a checkpointed block returned no tensor");
    torch::Tensor result = *reinterpret_cast<torch::Tensor *>(output);
    delete reinterpret_cast<torch::Tensor *>(output);
    live_tensors--;
    return result;
  }
};

// torch.utils.checkpoint.CheckpointFunction (use_reentrant=True), for one tensor input.
class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor input,
                               c10::intrusive_ptr<CheckpointBody> body) {
    body->device = input.device();
    auto generator = at::globalContext().defaultGenerator(body->device);
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      body->generator_state = generator.get_state();
    }
    body->autocast_cpu = at::autocast::is_autocast_enabled(c10::DeviceType::CPU);
    body->autocast_cpu_dtype = at::autocast::get_autocast_dtype(c10::DeviceType::CPU);
    body->autocast_cuda = at::autocast::is_autocast_enabled(c10::DeviceType::CUDA);
    body->autocast_cuda_dtype = at::autocast::get_autocast_dtype(c10::DeviceType::CUDA);
    ctx->saved_data["body"] = c10::IValue::make_capsule(body);
    ctx->save_for_backward({input});
    // Function::apply runs forward with recording off: nothing inside the body is kept.
    return body->run(input);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    auto body = c10::static_intrusive_pointer_cast<CheckpointBody>(ctx->saved_data["body"].toCapsule());
    auto saved = ctx->get_saved_variables();
    auto input = saved[0].detach().requires_grad_(saved[0].requires_grad());
    auto generator = at::globalContext().defaultGenerator(body->device);
    at::Tensor current_state;
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      current_state = generator.get_state();
      generator.set_state(body->generator_state);
    }
    torch::Tensor output;
    {
      // The forward pass's autocast state, as torch.utils.checkpoint restores it.
      bool cpu = at::autocast::is_autocast_enabled(c10::DeviceType::CPU);
      auto cpu_dtype = at::autocast::get_autocast_dtype(c10::DeviceType::CPU);
      bool cuda = at::autocast::is_autocast_enabled(c10::DeviceType::CUDA);
      auto cuda_dtype = at::autocast::get_autocast_dtype(c10::DeviceType::CUDA);
      auto restore = [&] {
        at::autocast::set_autocast_enabled(c10::DeviceType::CPU, cpu);
        at::autocast::set_autocast_dtype(c10::DeviceType::CPU, cpu_dtype);
        at::autocast::set_autocast_enabled(c10::DeviceType::CUDA, cuda);
        at::autocast::set_autocast_dtype(c10::DeviceType::CUDA, cuda_dtype);
        std::lock_guard<std::mutex> lock(generator.mutex());
        generator.set_state(current_state);
      };
      try {
        at::autocast::set_autocast_enabled(c10::DeviceType::CPU, body->autocast_cpu);
        at::autocast::set_autocast_dtype(c10::DeviceType::CPU, body->autocast_cpu_dtype);
        at::autocast::set_autocast_enabled(c10::DeviceType::CUDA, body->autocast_cuda);
        at::autocast::set_autocast_dtype(c10::DeviceType::CUDA, body->autocast_cuda_dtype);
        at::AutoGradMode enable_grad(true);
        output = body->run(input);
      } catch (...) {
        restore();
        throw;
      }
      restore();
    }
    if (output.requires_grad()) torch::autograd::backward({output}, {grad_outputs[0]});
    return {input.requires_grad() ? input.grad() : torch::Tensor(), torch::Tensor()};
  }
};

} // namespace

#define CTORCH_TRY(...)                                                                           \
  try {                                                                                          \
    __VA_ARGS__;                                                                                 \
    return 0;                                                                                    \
  } catch (const c10::Error &error) {                                                            \
    set_error(error.what_without_backtrace());                                                   \
    return 1;                                                                                    \
  } catch (const std::exception &error) {                                                        \
    set_error(error.what());                                                                     \
    return 1;                                                                                    \
  } catch (...) {                                                                                \
    set_error("unknown C++ exception");                                                          \
    return 1;                                                                                    \
  }

// A function whose result is one new tensor: `EXPR` computes it from the arguments.
#define CTORCH_RESULT(EXPR) CTORCH_TRY(require(out, "out"); *out = wrap(EXPR))

extern "C" {

// ---- library ---------------------------------------------------------------------------------

const char *ctorch_last_error(void) { return last_error.c_str(); }

int ctorch_version(const char **out) {
  CTORCH_TRY(*require(out, "out") = TORCH_VERSION)
}

int ctorch_runtime_info(int32_t what, const char **out) {
  static thread_local std::string text;
  CTORCH_TRY(
      require(out, "out");
      switch (what) {
        case 0: text = at::show_config(); break;
        case 1: text = at::get_cpu_capability(); break;
        case 2: text = at::get_parallel_info(); break;
        case 3: {
          Dl_info info{};
          auto symbol = reinterpret_cast<void *>(static_cast<std::string (*)()>(&at::show_config));
          text = dladdr(symbol, &info) != 0 && info.dli_fname != nullptr ? info.dli_fname : "";
          break;
        }
        default: throw std::invalid_argument("unknown runtime information " + std::to_string(what));
      } *out = text.c_str())
}

int ctorch_cuda_device_count(int64_t *out) {
  CTORCH_TRY(*require(out, "out") = static_cast<int64_t>(torch::cuda::device_count()))
}

int ctorch_manual_seed(uint64_t seed) { CTORCH_TRY(torch::manual_seed(seed)) }

int ctorch_set_num_threads(int32_t count) {
  CTORCH_TRY(if (count < 1) throw std::invalid_argument("thread count must be at least 1");
             torch::set_num_threads(count))
}

int ctorch_get_num_threads(int32_t *out) {
  CTORCH_TRY(*require(out, "out") = static_cast<int32_t>(torch::get_num_threads()))
}

int ctorch_thread_live_tensor_count(int64_t *out) { CTORCH_TRY(*require(out, "out") = live_tensors) }

int ctorch_keep_freed_memory(int32_t *applied) {
  CTORCH_TRY(require(applied, "applied");
#if defined(__GLIBC__)
             *applied = (mallopt(M_MMAP_THRESHOLD, 1 << 30) == 1 && mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1) ? 1 : 0;
#else
             *applied = 0;
#endif
  )
}

int ctorch_grad_enabled(bool *out) { CTORCH_TRY(*require(out, "out") = c10::GradMode::is_enabled()) }

int ctorch_set_grad_enabled(bool enabled) { CTORCH_TRY(c10::GradMode::set_enabled(enabled)) }

// torch.autocast.__enter__ / __exit__ (torch/amp/autocast_mode.py, v2.15.0): the device's
// enabled flag and dtype are saved, set, and restored on exit.
int ctorch_autocast_push(int32_t device_type, int32_t dtype, bool enabled, bool *previous_enabled,
                         int32_t *previous_dtype) {
  CTORCH_TRY(
      require(previous_enabled, "previous_enabled"); require(previous_dtype, "previous_dtype");
      auto type = scalar_type(dtype);
      c10::DeviceType device = c10::DeviceType::CPU;
      if (device_type == CTORCH_CPU) {
        if (type != at::kBFloat16)
          throw std::invalid_argument("CPU autocast supports only bfloat16");
      } else if (device_type == CTORCH_CUDA) {
        if (type != at::kBFloat16 && type != at::kHalf)
          throw std::invalid_argument("CUDA autocast supports float16 and bfloat16");
        device = c10::DeviceType::CUDA;
      } else {
        throw std::invalid_argument("autocast supports CPU and CUDA");
      }
      *previous_enabled = at::autocast::is_autocast_enabled(device);
      *previous_dtype = static_cast<int32_t>(at::autocast::get_autocast_dtype(device));
      at::autocast::set_autocast_enabled(device, enabled);
      at::autocast::set_autocast_dtype(device, type);
      at::autocast::increment_nesting())
}

int ctorch_autocast_pop(int32_t device_type, bool previous_enabled, int32_t previous_dtype) {
  CTORCH_TRY(
      if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
      if (device_type != CTORCH_CPU && device_type != CTORCH_CUDA)
        throw std::invalid_argument("autocast supports CPU and CUDA");
      auto device = device_type == CTORCH_CPU ? c10::DeviceType::CPU : c10::DeviceType::CUDA;
      at::autocast::set_autocast_enabled(device, previous_enabled);
      at::autocast::set_autocast_dtype(device, scalar_type(previous_dtype));)
}

// ---- generators --------------------------------------------------------------------------------

int ctorch_generator_new(uint64_t seed, ctorch_generator *out) {
  CTORCH_TRY(require(out, "out");
             auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
             *out = reinterpret_cast<ctorch_generator>(new Generator{generator}))
}

int ctorch_generator_free(ctorch_generator generator) {
  CTORCH_TRY(delete reinterpret_cast<Generator *>(generator))
}

// ---- tensor lifecycle and metadata -----------------------------------------------------------

void ctorch_set_error(const char *message) { set_error(message); }

int ctorch_checkpoint(ctorch_tensor input, ctorch_checkpoint_body body, ctorch_checkpoint_release release,
                      void *context, ctorch_tensor *out) {
  CTORCH_TRY(
      // The owner is released exactly once: by the capsule once it exists, here before that.
      c10::intrusive_ptr<CheckpointBody> holder;
      try {
        require(out, "out");
        require(body, "body");
        holder = c10::make_intrusive<CheckpointBody>(body, release, context);
      } catch (...) {
        if (release != nullptr) release(context);
        throw;
      }
      *out = wrap(CheckpointFunction::apply(unwrap(input), std::move(holder))))
}

int ctorch_tensor_free(ctorch_tensor tensor) {
  CTORCH_TRY(if (tensor != nullptr) live_tensors--; delete reinterpret_cast<torch::Tensor *>(tensor))
}

int ctorch_tensor_array_free(ctorch_tensor *array) { CTORCH_TRY(std::free(array)) }

int ctorch_tensor_from_bytes(const void *data, size_t byte_count, const int64_t *shape, size_t rank,
                             int32_t dtype, ctorch_tensor *out) {
  CTORCH_TRY(
      require(out, "out"); auto type = scalar_type(dtype); auto dims = sizes(shape, rank);
      int64_t count = 1; for (auto d : dims) {
        if (d < 0) throw std::invalid_argument("a shape has a negative size");
        count *= d;
      } size_t expected = static_cast<size_t>(count) * c10::elementSize(type);
      if (expected != byte_count) {
        std::ostringstream message;
        message << "shape " << dims << " of " << c10::toString(type) << " needs " << expected
                << " bytes, got " << byte_count;
        throw std::invalid_argument(message.str());
      } auto result = torch::empty(dims, torch::TensorOptions().dtype(type));
      if (byte_count > 0) std::memcpy(result.data_ptr(), require(data, "data"), byte_count);
      *out = wrap(result))
}

int ctorch_tensor_copy_to_bytes(ctorch_tensor tensor, void *destination, size_t byte_count) {
  CTORCH_TRY(
      auto source = unwrap(tensor).detach().to(torch::kCPU).contiguous();
      size_t expected = static_cast<size_t>(source.numel()) * source.element_size();
      if (expected != byte_count) {
        throw std::invalid_argument("the tensor has " + std::to_string(expected) +
                                    " bytes, the destination " + std::to_string(byte_count));
      } if (byte_count > 0) std::memcpy(require(destination, "destination"), source.data_ptr(),
                                         byte_count))
}

int ctorch_tensor_rank(ctorch_tensor tensor, int64_t *out) {
  CTORCH_TRY(*require(out, "out") = unwrap(tensor).dim())
}

int ctorch_tensor_shape(ctorch_tensor tensor, int64_t *out, size_t capacity) {
  CTORCH_TRY(auto dims = unwrap(tensor).sizes();
             if (capacity > 0) require(out, "out");
             for (size_t i = 0; i < dims.size() && i < capacity; i++) out[i] = dims[i])
}

int ctorch_tensor_numel(ctorch_tensor tensor, int64_t *out) {
  CTORCH_TRY(*require(out, "out") = unwrap(tensor).numel())
}

int ctorch_tensor_dtype(ctorch_tensor tensor, int32_t *out) {
  CTORCH_TRY(*require(out, "out") = static_cast<int32_t>(unwrap(tensor).scalar_type()))
}

int ctorch_tensor_device(ctorch_tensor tensor, int32_t *device_type, int32_t *device_index) {
  CTORCH_TRY(require(device_type, "device_type"); require(device_index, "device_index");
             auto d = unwrap(tensor).device();
             *device_type = static_cast<int32_t>(d.type()); *device_index = d.index())
}

int ctorch_tensor_item(ctorch_tensor tensor, double *out) {
  CTORCH_TRY(*require(out, "out") = unwrap(tensor).item<double>())
}

int ctorch_tensor_description(ctorch_tensor tensor, char **out) {
  CTORCH_TRY(require(out, "out"); std::ostringstream stream; stream << unwrap(tensor);
             auto text = stream.str(); auto copy = static_cast<char *>(std::malloc(text.size() + 1));
             if (copy == nullptr) throw std::bad_alloc();
             std::memcpy(copy, text.c_str(), text.size() + 1); *out = copy)
}

int ctorch_string_free(char *string) { CTORCH_TRY(std::free(string)) }

int ctorch_tensor_share(ctorch_tensor tensor, ctorch_tensor *out) { CTORCH_RESULT(unwrap(tensor)) }

// ---- creation ----------------------------------------------------------------------------------

int ctorch_full(const int64_t *shape, size_t rank, double value, int32_t dtype, int32_t device_type,
                int32_t device_index, ctorch_tensor *out) {
  CTORCH_RESULT(torch::full(sizes(shape, rank), value, options(dtype, device_type, device_index)))
}

int ctorch_arange(double start, double end, double step, int32_t dtype, int32_t device_type,
                  int32_t device_index, ctorch_tensor *out) {
  CTORCH_RESULT(torch::arange(start, end, step, options(dtype, device_type, device_index)))
}

int ctorch_rand(const int64_t *shape, size_t rank, int32_t dtype, int32_t device_type,
                int32_t device_index, ctorch_generator gen, ctorch_tensor *out) {
  CTORCH_RESULT(
      torch::rand(sizes(shape, rank), generator(gen), options(dtype, device_type, device_index)))
}

int ctorch_randn(const int64_t *shape, size_t rank, int32_t dtype, int32_t device_type,
                 int32_t device_index, ctorch_generator gen, ctorch_tensor *out) {
  CTORCH_RESULT(
      torch::randn(sizes(shape, rank), generator(gen), options(dtype, device_type, device_index)))
}

int ctorch_randint(int64_t low, int64_t high, const int64_t *shape, size_t rank, int32_t device_type,
                   int32_t device_index, ctorch_generator gen, ctorch_tensor *out) {
  CTORCH_RESULT(torch::randint(low, high, sizes(shape, rank), generator(gen),
                               options(CTORCH_INT64, device_type, device_index)))
}

int ctorch_randperm(int64_t n, ctorch_generator gen, ctorch_tensor *out) {
  CTORCH_RESULT(torch::randperm(n, generator(gen), torch::TensorOptions().dtype(torch::kLong)))
}

// ---- autograd ----------------------------------------------------------------------------------

int ctorch_tensor_requires_grad(ctorch_tensor tensor, bool *out) {
  CTORCH_TRY(*require(out, "out") = unwrap(tensor).requires_grad())
}

int ctorch_tensor_set_requires_grad(ctorch_tensor tensor, bool requires_grad) {
  CTORCH_TRY(unwrap(tensor).set_requires_grad(requires_grad))
}

int ctorch_tensor_grad(ctorch_tensor tensor, ctorch_tensor *out) {
  CTORCH_TRY(require(out, "out"); auto grad = unwrap(tensor).grad();
             *out = grad.defined() ? wrap(grad) : nullptr)
}

int ctorch_tensor_backward(ctorch_tensor tensor, ctorch_tensor gradient, bool retain_graph) {
  CTORCH_TRY(unwrap(tensor).backward(optional_tensor(gradient), retain_graph))
}

int ctorch_tensor_zero_grad(ctorch_tensor tensor, bool set_to_none) {
  CTORCH_TRY(auto &t = unwrap(tensor); auto &grad = t.mutable_grad(); if (grad.defined()) {
    if (set_to_none) {
      grad = torch::Tensor();
    } else {
      grad = grad.detach();
      grad.zero_();
    }
  })
}

int ctorch_tensor_detach(ctorch_tensor tensor, ctorch_tensor *out) { CTORCH_RESULT(unwrap(tensor).detach()) }

int ctorch_tensor_is_leaf(ctorch_tensor tensor, bool *out) {
  CTORCH_TRY(*require(out, "out") = unwrap(tensor).is_leaf())
}

// ---- element-wise --------------------------------------------------------------------------------

int ctorch_unary(int32_t op, ctorch_tensor tensor, ctorch_tensor *out) {
  CTORCH_TRY(require(out, "out"); const auto &t = unwrap(tensor); torch::Tensor r; switch (op) {
    case CTORCH_NEG: r = torch::neg(t); break;
    case CTORCH_EXP: r = torch::exp(t); break;
    case CTORCH_LOG: r = torch::log(t); break;
    case CTORCH_LOG1P: r = torch::log1p(t); break;
    case CTORCH_SQRT: r = torch::sqrt(t); break;
    case CTORCH_RSQRT: r = torch::rsqrt(t); break;
    case CTORCH_TANH: r = torch::tanh(t); break;
    case CTORCH_ERF: r = torch::erf(t); break;
    case CTORCH_RELU: r = torch::relu(t); break;
    case CTORCH_SIGN: r = torch::sign(t); break;
    case CTORCH_ABS: r = torch::abs(t); break;
    case CTORCH_FLOOR: r = torch::floor(t); break;
    case CTORCH_CEIL: r = torch::ceil(t); break;
    case CTORCH_ROUND: r = torch::round(t); break;
    case CTORCH_SIGMOID: r = torch::sigmoid(t); break;
    case CTORCH_GELU: r = torch::gelu(t, "none"); break;
    case CTORCH_GELU_TANH: r = torch::gelu(t, "tanh"); break;
    case CTORCH_LOGICAL_NOT: r = torch::logical_not(t); break;
    case CTORCH_SILU: r = torch::silu(t); break;
    case CTORCH_RECIPROCAL: r = torch::reciprocal(t); break;
    case CTORCH_SIN: r = torch::sin(t); break;
    case CTORCH_COS: r = torch::cos(t); break;
    case CTORCH_SQUARE: r = torch::square(t); break;
    default: throw std::invalid_argument("unknown unary op " + std::to_string(op));
  } *out = wrap(r))
}

} // extern "C"

namespace {
torch::Tensor binary(int32_t op, const torch::Tensor &a, const torch::Tensor &b) {
  switch (op) {
  case CTORCH_ADD: return torch::add(a, b);
  case CTORCH_SUB: return torch::sub(a, b);
  case CTORCH_MUL: return torch::mul(a, b);
  case CTORCH_DIV: return torch::div(a, b);
  case CTORCH_POW: return torch::pow(a, b);
  case CTORCH_MAXIMUM: return torch::maximum(a, b);
  case CTORCH_MINIMUM: return torch::minimum(a, b);
  case CTORCH_EQ: return torch::eq(a, b);
  case CTORCH_NE: return torch::ne(a, b);
  case CTORCH_LT: return torch::lt(a, b);
  case CTORCH_LE: return torch::le(a, b);
  case CTORCH_GT: return torch::gt(a, b);
  case CTORCH_GE: return torch::ge(a, b);
  case CTORCH_LOGICAL_AND: return torch::logical_and(a, b);
  case CTORCH_LOGICAL_OR: return torch::logical_or(a, b);
  case CTORCH_REMAINDER: return torch::remainder(a, b);
  case CTORCH_FLOOR_DIVIDE: return torch::div(a, b, "floor");
  default: throw std::invalid_argument("unknown binary op " + std::to_string(op));
  }
}

// tensor (op) scalar with Python's type promotion: a Python number never widens a tensor's
// dtype within its category (a float32 tensor times 0.5 stays float32; an int64 tensor times
// 0.5 becomes float32, the default dtype).
torch::Tensor binary_scalar(int32_t op, const torch::Tensor &t, double value, bool scalar_first) {
  bool integral = std::fabs(value) < 9.0e18 && value == std::floor(value);
  c10::Scalar s = integral && !t.is_floating_point() ? c10::Scalar(static_cast<int64_t>(value))
                                                     : c10::Scalar(value);
  // pow has Scalar overloads with their own fast paths and gradients (x ** 0.5, x ** 3), as
  // Python's x ** n takes.
  if (op == CTORCH_POW) return scalar_first ? torch::pow(s, t) : torch::pow(t, s);
  // A wrapped number stays on the CPU, as PyTorch keeps Python numbers (no device allocation).
  auto wrapped = c10::scalar_to_tensor(s);
  wrapped.unsafeGetTensorImpl()->set_wrapped_number(true);
  return scalar_first ? binary(op, wrapped, t) : binary(op, t, wrapped);
}
} // namespace

extern "C" {

int ctorch_binary(int32_t op, ctorch_tensor lhs, ctorch_tensor rhs, ctorch_tensor *out) {
  CTORCH_RESULT(binary(op, unwrap(lhs), unwrap(rhs)))
}

int ctorch_binary_scalar(int32_t op, ctorch_tensor tensor, double scalar, bool scalar_first,
                         ctorch_tensor *out) {
  CTORCH_RESULT(binary_scalar(op, unwrap(tensor), scalar, scalar_first))
}

} // extern "C"

namespace {
// A bound keeps an integral tensor integral when the value is whole (as a Python int would).
c10::optional<c10::Scalar> bound(const torch::Tensor &t, bool present, double value) {
  if (!present) return c10::nullopt;
  if (!t.is_floating_point() && std::fabs(value) < 9.0e18 && value == std::floor(value))
    return c10::Scalar(static_cast<int64_t>(value));
  return c10::Scalar(value);
}
} // namespace

extern "C" {

int ctorch_clamp(ctorch_tensor tensor, bool has_min, double min, bool has_max, double max,
                 ctorch_tensor *out) {
  CTORCH_TRY(require(out, "out"); const auto &t = unwrap(tensor);
             *out = wrap(torch::clamp(t, bound(t, has_min, min), bound(t, has_max, max))))
}

int ctorch_where(ctorch_tensor condition, ctorch_tensor lhs, ctorch_tensor rhs, ctorch_tensor *out) {
  CTORCH_RESULT(torch::where(unwrap(condition), unwrap(lhs), unwrap(rhs)))
}

int ctorch_masked_fill(ctorch_tensor tensor, ctorch_tensor mask, double value, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).masked_fill(unwrap(mask), value))
}

// ---- linear algebra and neural-network functions --------------------------------------------

int ctorch_matmul(ctorch_tensor lhs, ctorch_tensor rhs, ctorch_tensor *out) {
  CTORCH_RESULT(torch::matmul(unwrap(lhs), unwrap(rhs)))
}

int ctorch_bmm(ctorch_tensor lhs, ctorch_tensor rhs, ctorch_tensor *out) {
  CTORCH_RESULT(torch::bmm(unwrap(lhs), unwrap(rhs)))
}

int ctorch_linear(ctorch_tensor input, ctorch_tensor weight, ctorch_tensor bias, ctorch_tensor *out) {
  CTORCH_RESULT(torch::linear(unwrap(input), unwrap(weight), optional_tensor(bias)))
}

int ctorch_softmax(ctorch_tensor tensor, int64_t dim, int32_t dtype, ctorch_tensor *out) {
  CTORCH_RESULT(dtype < 0 ? torch::softmax(unwrap(tensor), dim)
                          : torch::softmax(unwrap(tensor), dim, scalar_type(dtype)))
}

int ctorch_log_softmax(ctorch_tensor tensor, int64_t dim, int32_t dtype, ctorch_tensor *out) {
  CTORCH_RESULT(dtype < 0 ? torch::log_softmax(unwrap(tensor), dim)
                          : torch::log_softmax(unwrap(tensor), dim, scalar_type(dtype)))
}

int ctorch_layer_norm(ctorch_tensor input, const int64_t *normalized_shape, size_t rank,
                      ctorch_tensor weight, ctorch_tensor bias, double eps, ctorch_tensor *out) {
  CTORCH_RESULT(torch::layer_norm(unwrap(input), sizes(normalized_shape, rank),
                                  optional_tensor(weight), optional_tensor(bias), eps))
}

int ctorch_embedding(ctorch_tensor weight, ctorch_tensor indices, int64_t padding_index,
                     ctorch_tensor *out) {
  CTORCH_RESULT(torch::embedding(unwrap(weight), unwrap(indices), padding_index))
}

int ctorch_dropout(ctorch_tensor tensor, double probability, bool training, ctorch_tensor *out) {
  CTORCH_RESULT(torch::dropout(unwrap(tensor), probability, training))
}

int ctorch_scaled_dot_product_attention(ctorch_tensor query, ctorch_tensor key, ctorch_tensor value,
                                        ctorch_tensor mask, double dropout_p, bool is_causal,
                                        double scale, ctorch_tensor *out) {
  // An absent mask must be nullopt: an undefined tensor is taken as a mask of unknown dtype.
  CTORCH_RESULT(at::scaled_dot_product_attention(
      unwrap(query), unwrap(key), unwrap(value),
      mask == nullptr ? std::optional<at::Tensor>() : std::optional<at::Tensor>(unwrap(mask)), dropout_p, is_causal,
      scale < 0 ? std::optional<double>() : std::optional<double>(scale)))
}

int ctorch_cross_entropy(ctorch_tensor logits, ctorch_tensor target, ctorch_tensor weight,
                         int32_t reduction_code, int64_t ignore_index, double label_smoothing,
                         ctorch_tensor *out) {
  CTORCH_RESULT(torch::cross_entropy_loss(unwrap(logits), unwrap(target), optional_tensor(weight),
                                          reduction(reduction_code), ignore_index, label_smoothing))
}

int ctorch_mse_loss(ctorch_tensor input, ctorch_tensor target, int32_t reduction_code,
                    ctorch_tensor *out) {
  CTORCH_RESULT(torch::mse_loss(unwrap(input), unwrap(target), reduction(reduction_code)))
}

// ---- indexing and joining ----------------------------------------------------------------------

int ctorch_gather(ctorch_tensor tensor, int64_t dim, ctorch_tensor index, ctorch_tensor *out) {
  CTORCH_RESULT(torch::gather(unwrap(tensor), dim, unwrap(index)))
}

int ctorch_index_select(ctorch_tensor tensor, int64_t dim, ctorch_tensor index, ctorch_tensor *out) {
  CTORCH_RESULT(torch::index_select(unwrap(tensor), dim, unwrap(index)))
}

int ctorch_cat(const ctorch_tensor *handles, size_t count, int64_t dim, ctorch_tensor *out) {
  CTORCH_RESULT(torch::cat(tensors(handles, count), dim))
}

int ctorch_stack(const ctorch_tensor *handles, size_t count, int64_t dim, ctorch_tensor *out) {
  CTORCH_RESULT(torch::stack(tensors(handles, count), dim))
}

int ctorch_split(ctorch_tensor tensor, int64_t split_size, int64_t dim, ctorch_tensor **out,
                 size_t *count) {
  CTORCH_TRY(require(out, "out"); require(count, "count");
             write_array(torch::split(unwrap(tensor), split_size, dim), out, count))
}

int ctorch_chunk(ctorch_tensor tensor, int64_t chunks, int64_t dim, ctorch_tensor **out,
                 size_t *count) {
  CTORCH_TRY(require(out, "out"); require(count, "count");
             write_array(torch::chunk(unwrap(tensor), chunks, dim), out, count))
}

int ctorch_narrow(ctorch_tensor tensor, int64_t dim, int64_t start, int64_t length, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).narrow(dim, start, length))
}

int ctorch_slice(ctorch_tensor tensor, int64_t dim, int64_t start, int64_t end, int64_t step,
                 ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).slice(dim, start, end, step))
}

int ctorch_select(ctorch_tensor tensor, int64_t dim, int64_t index, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).select(dim, index))
}

// ---- shape ---------------------------------------------------------------------------------------

int ctorch_view(ctorch_tensor tensor, const int64_t *shape, size_t rank, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).view(sizes(shape, rank)))
}

int ctorch_reshape(ctorch_tensor tensor, const int64_t *shape, size_t rank, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).reshape(sizes(shape, rank)))
}

int ctorch_expand(ctorch_tensor tensor, const int64_t *shape, size_t rank, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).expand(sizes(shape, rank)))
}

int ctorch_repeat(ctorch_tensor tensor, const int64_t *repeats, size_t rank, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).repeat(sizes(repeats, rank)))
}

int ctorch_permute(ctorch_tensor tensor, const int64_t *dims, size_t rank, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).permute(sizes(dims, rank)))
}

int ctorch_transpose(ctorch_tensor tensor, int64_t dim0, int64_t dim1, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).transpose(dim0, dim1))
}

int ctorch_contiguous(ctorch_tensor tensor, ctorch_tensor *out) { CTORCH_RESULT(unwrap(tensor).contiguous()) }

int ctorch_unsqueeze(ctorch_tensor tensor, int64_t dim, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).unsqueeze(dim))
}

int ctorch_squeeze(ctorch_tensor tensor, bool has_dim, int64_t dim, ctorch_tensor *out) {
  CTORCH_RESULT(has_dim ? unwrap(tensor).squeeze(dim) : unwrap(tensor).squeeze())
}

int ctorch_as_strided(ctorch_tensor tensor, const int64_t *shape, const int64_t *strides, size_t rank,
                      int64_t storage_offset, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).as_strided(sizes(shape, rank), sizes(strides, rank), storage_offset))
}

int ctorch_flatten(ctorch_tensor tensor, int64_t start_dim, int64_t end_dim, ctorch_tensor *out) {
  CTORCH_RESULT(unwrap(tensor).flatten(start_dim, end_dim))
}

// ---- reductions --------------------------------------------------------------------------------

} // extern "C"

namespace {
c10::optional<c10::ScalarType> optional_dtype(int32_t dtype) {
  return dtype < 0 ? c10::nullopt : c10::optional<c10::ScalarType>(scalar_type(dtype));
}
} // namespace

extern "C" {

int ctorch_sum(ctorch_tensor tensor, const int64_t *dims, size_t rank, bool keep_dim, int32_t dtype,
               ctorch_tensor *out) {
  CTORCH_RESULT(rank == 0 ? torch::sum(unwrap(tensor), optional_dtype(dtype))
                          : torch::sum(unwrap(tensor), sizes(dims, rank), keep_dim, optional_dtype(dtype)))
}

int ctorch_mean(ctorch_tensor tensor, const int64_t *dims, size_t rank, bool keep_dim, int32_t dtype,
                ctorch_tensor *out) {
  CTORCH_RESULT(rank == 0 ? torch::mean(unwrap(tensor), optional_dtype(dtype))
                          : torch::mean(unwrap(tensor), sizes(dims, rank), keep_dim, optional_dtype(dtype)))
}

int ctorch_max_dim(ctorch_tensor tensor, int64_t dim, bool keep_dim, ctorch_tensor *values,
                   ctorch_tensor *indices) {
  CTORCH_TRY(require(values, "values"); require(indices, "indices");
             auto result = torch::max(unwrap(tensor), dim, keep_dim);
             auto v = wrap(std::get<0>(result)); auto i = wrap(std::get<1>(result));
             *values = v; *indices = i)
}

int ctorch_min_dim(ctorch_tensor tensor, int64_t dim, bool keep_dim, ctorch_tensor *values,
                   ctorch_tensor *indices) {
  CTORCH_TRY(require(values, "values"); require(indices, "indices");
             auto result = torch::min(unwrap(tensor), dim, keep_dim);
             auto v = wrap(std::get<0>(result)); auto i = wrap(std::get<1>(result));
             *values = v; *indices = i)
}

int ctorch_max_all(ctorch_tensor tensor, ctorch_tensor *out) { CTORCH_RESULT(torch::max(unwrap(tensor))) }

int ctorch_min_all(ctorch_tensor tensor, ctorch_tensor *out) { CTORCH_RESULT(torch::min(unwrap(tensor))) }

int ctorch_argmax(ctorch_tensor tensor, int64_t dim, bool keep_dim, ctorch_tensor *out) {
  CTORCH_RESULT(torch::argmax(unwrap(tensor), dim, keep_dim))
}

// ---- conversion and copies ---------------------------------------------------------------------

int ctorch_to(ctorch_tensor tensor, int32_t dtype, int32_t device_type, int32_t device_index,
              ctorch_tensor *out) {
  CTORCH_TRY(require(out, "out"); auto t = unwrap(tensor);
             if (device_type >= 0) t = t.to(device(device_type, device_index));
             if (dtype >= 0) t = t.to(scalar_type(dtype)); *out = wrap(t))
}

int ctorch_clone(ctorch_tensor tensor, ctorch_tensor *out) { CTORCH_RESULT(unwrap(tensor).clone()) }

int ctorch_copy_(ctorch_tensor destination, ctorch_tensor source) {
  CTORCH_TRY(torch::NoGradGuard guard; unwrap(destination).copy_(unwrap(source)))
}

int ctorch_fill_(ctorch_tensor tensor, double value) {
  CTORCH_TRY(torch::NoGradGuard guard; unwrap(tensor).fill_(value))
}

// ---- optimizers ----------------------------------------------------------------------------------

int ctorch_optimizer_new(int32_t kind, const ctorch_parameter_group *groups, size_t group_count,
                         ctorch_optimizer_options o, ctorch_optimizer *out) {
  CTORCH_TRY(
      require(out, "out"); if (group_count > 0) require(groups, "groups");
      std::vector<torch::optim::OptimizerParamGroup> param_groups;
      for (size_t g = 0; g < group_count; g++) {
        auto params = tensors(groups[g].parameters, groups[g].count);
        double lr = groups[g].learning_rate, wd = groups[g].weight_decay;
        std::unique_ptr<torch::optim::OptimizerOptions> group_options;
        switch (kind) {
        case CTORCH_SGD:
          group_options = std::make_unique<torch::optim::SGDOptions>(
              torch::optim::SGDOptions(lr).momentum(o.momentum).dampening(o.dampening)
                  .nesterov(o.nesterov).weight_decay(wd));
          break;
        case CTORCH_ADAM:
          group_options = std::make_unique<torch::optim::AdamOptions>(
              torch::optim::AdamOptions(lr).betas({o.beta1, o.beta2}).eps(o.eps)
                  .amsgrad(o.amsgrad).weight_decay(wd));
          break;
        case CTORCH_ADAMW:
        case CTORCH_ADAMW_FUSED:
          group_options = std::make_unique<torch::optim::AdamWOptions>(
              torch::optim::AdamWOptions(lr).betas({o.beta1, o.beta2}).eps(o.eps)
                  .amsgrad(o.amsgrad).weight_decay(wd));
          break;
        default: throw std::invalid_argument("unknown optimizer kind " + std::to_string(kind));
        }
        param_groups.emplace_back(params, std::move(group_options));
      } std::unique_ptr<torch::optim::Optimizer> optimizer;
      switch (kind) {
        case CTORCH_SGD:
          optimizer = std::make_unique<torch::optim::SGD>(param_groups, torch::optim::SGDOptions(0));
          break;
        case CTORCH_ADAM:
          optimizer = std::make_unique<torch::optim::Adam>(param_groups);
          break;
        case CTORCH_ADAMW_FUSED:
          optimizer = std::make_unique<FusedAdamW>(param_groups);
          break;
        default:
          optimizer = std::make_unique<torch::optim::AdamW>(param_groups);
          break;
      } *out = reinterpret_cast<ctorch_optimizer>(new Optimizer{std::move(optimizer)}))
}

int ctorch_optimizer_free(ctorch_optimizer optimizer) {
  CTORCH_TRY(delete reinterpret_cast<Optimizer *>(optimizer))
}

int ctorch_optimizer_step(ctorch_optimizer optimizer) { CTORCH_TRY(unwrap(optimizer).step()) }

int ctorch_optimizer_zero_grad(ctorch_optimizer optimizer, bool set_to_none) {
  CTORCH_TRY(for (auto &group : unwrap(optimizer).param_groups()) {
    for (auto &p : group.params()) {
      auto &grad = p.mutable_grad();
      if (!grad.defined()) continue;
      if (set_to_none) {
        grad = torch::Tensor();
      } else {
        grad = grad.detach();
        grad.zero_();
      }
    }
  })
}

int ctorch_optimizer_group_count(ctorch_optimizer optimizer, size_t *out) {
  CTORCH_TRY(*require(out, "out") = unwrap(optimizer).param_groups().size())
}

} // extern "C"

namespace {
torch::optim::OptimizerParamGroup &group_at(ctorch_optimizer optimizer, size_t group) {
  auto &groups = unwrap(optimizer).param_groups();
  if (group >= groups.size())
    throw std::out_of_range("parameter group " + std::to_string(group) + " of " +
                            std::to_string(groups.size()));
  return groups[group];
}
} // namespace

extern "C" {

int ctorch_optimizer_learning_rate(ctorch_optimizer optimizer, size_t group, double *out) {
  CTORCH_TRY(*require(out, "out") = group_at(optimizer, group).options().get_lr())
}

int ctorch_optimizer_set_learning_rate(ctorch_optimizer optimizer, size_t group, double learning_rate) {
  CTORCH_TRY(group_at(optimizer, group).options().set_lr(learning_rate))
}

int ctorch_optimizer_save(ctorch_optimizer optimizer, const char *path) {
  CTORCH_TRY(torch::save(unwrap(optimizer), std::string(require(path, "path"))))
}

int ctorch_optimizer_load(ctorch_optimizer optimizer, const char *path) {
  CTORCH_TRY(torch::load(unwrap(optimizer), std::string(require(path, "path"))))
}

int ctorch_clip_grad_norm(const ctorch_tensor *parameters, size_t count, double max_norm,
                          double norm_type, double *total_norm) {
  CTORCH_TRY(require(total_norm, "total_norm");
             *total_norm = torch::nn::utils::clip_grad_norm_(tensors(parameters, count), max_norm,
                                                              norm_type))
}

// ---- c10d ------------------------------------------------------------------------------------
// torch.distributed.init_process_group("gloo", init_method="tcp://addr:port") in C++: rank 0
// serves the TCPStore, every rank joins it, and ProcessGroupGloo connects the ranks through it
// (torch/distributed/distributed_c10d.py, _new_process_group_helper, v2.15.0).

int ctorch_distributed_available(bool *out) {
  CTORCH_TRY(require(out, "out"); *out = CTORCH_HAS_C10D == 1)
}

} // extern "C"

#if CTORCH_HAS_C10D
namespace {
struct ProcessGroup {
  int rank = 0;
  int world_size = 0;
  std::chrono::milliseconds timeout{0};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> backend;
};

ProcessGroup &unwrap_group(ctorch_process_group group) {
  if (group == nullptr) throw std::invalid_argument("a process group handle is NULL");
  return *reinterpret_cast<ProcessGroup *>(group);
}

// Gloo reduces dense, contiguous CPU tensors in place; anything else is refused up front.
std::vector<torch::Tensor> collective_tensors(const ctorch_tensor *handles, size_t count, const char *operation) {
  auto result = tensors(handles, count);
  for (auto &tensor : result) {
    if (!tensor.device().is_cpu() || !tensor.is_contiguous() || tensor.is_sparse())
      throw std::invalid_argument(std::string(operation) + " needs dense, contiguous CPU tensors");
  }
  return result;
}

// Waits with the group's timeout: a peer that is gone ends the wait with c10d's error.
void wait(ProcessGroup &group, const c10::intrusive_ptr<c10d::Work> &work) {
  if (!work->wait(group.timeout)) throw std::runtime_error("the collective did not finish within the timeout");
}
} // namespace
#endif

extern "C" {

int ctorch_process_group_new(int32_t rank, int32_t world_size, const char *master_addr,
                             int32_t master_port, int64_t timeout_ms, ctorch_process_group *out) {
#if CTORCH_HAS_C10D
  CTORCH_TRY(
      require(out, "out"); require(master_addr, "master_addr");
      if (world_size < 1) throw std::invalid_argument("world_size " + std::to_string(world_size) + " is not positive");
      if (rank < 0 || rank >= world_size)
        throw std::invalid_argument("rank " + std::to_string(rank) + " is outside 0..<" + std::to_string(world_size));
      if (master_port < 1 || master_port > 65535)
        throw std::invalid_argument("master_port " + std::to_string(master_port) + " is outside 1...65535");
      if (timeout_ms < 1) throw std::invalid_argument("timeout_ms " + std::to_string(timeout_ms) + " is not positive");
      auto group = std::make_unique<ProcessGroup>();
      group->rank = rank;
      group->world_size = world_size;
      group->timeout = std::chrono::milliseconds(timeout_ms);
      c10d::TCPStoreOptions store_options;
      store_options.port = static_cast<std::uint16_t>(master_port);
      store_options.isServer = rank == 0;
      store_options.numWorkers = static_cast<std::size_t>(world_size);
      store_options.waitWorkers = true;
      store_options.timeout = group->timeout;
      group->store = c10::make_intrusive<c10d::TCPStore>(std::string(master_addr), store_options);
      auto options = c10d::ProcessGroupGloo::Options::create(group->timeout);
      std::string address(master_addr);
      bool loopback = address == "127.0.0.1" || address == "localhost" || address == "::1";
      options->devices.push_back(loopback ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                          : c10d::ProcessGroupGloo::createDefaultDevice());
      group->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, rank, world_size, options);
      *out = reinterpret_cast<ctorch_process_group>(group.release()))
#else
  (void)rank, (void)world_size, (void)master_addr, (void)master_port, (void)timeout_ms, (void)out;
  set_error("this libtorch has no c10d headers (torch/csrc/distributed/c10d/ProcessGroupGloo.hpp)");
  return 1;
#endif
}

#if CTORCH_HAS_C10D
int ctorch_process_group_free(ctorch_process_group group) {
  CTORCH_TRY(delete reinterpret_cast<ProcessGroup *>(group))
}

int ctorch_process_group_allreduce(ctorch_process_group handle, const ctorch_tensor *handles, size_t count,
                                   bool mean) {
  CTORCH_TRY(auto &group = unwrap_group(handle);
             auto values = collective_tensors(handles, count, "allreduce");
             if (values.empty()) return 0;
             // A list given to allreduce means one tensor on several devices (all summed into
             // each); allreduce_coalesced reduces each tensor of a bucket on its own, in one
             // flattened message (one dtype per bucket).
             c10d::AllreduceCoalescedOptions options;
             options.reduceOp = c10d::ReduceOp::SUM;
             wait(group, group.backend->allreduce_coalesced(values, options));
             if (mean) {
               torch::NoGradGuard no_grad;
               for (auto &value : values) value.div_(group.world_size);
             })
}

int ctorch_process_group_broadcast(ctorch_process_group handle, const ctorch_tensor *handles, size_t count,
                                   int32_t root) {
  CTORCH_TRY(auto &group = unwrap_group(handle);
             if (root < 0 || root >= group.world_size)
               throw std::invalid_argument("root " + std::to_string(root) + " is outside 0..<" + std::to_string(group.world_size));
             auto values = collective_tensors(handles, count, "broadcast");
             // Gloo broadcasts one tensor per call.
             for (auto &value : values) {
               std::vector<torch::Tensor> one{value};
               c10d::BroadcastOptions options;
               options.rootRank = root;
               wait(group, group.backend->broadcast(one, options));
             })
}

int ctorch_process_group_barrier(ctorch_process_group handle) {
  CTORCH_TRY(auto &group = unwrap_group(handle); wait(group, group.backend->barrier(c10d::BarrierOptions())))
}

int ctorch_process_group_allgather(ctorch_process_group handle, ctorch_tensor tensor, ctorch_tensor **out,
                                   size_t *count) {
  CTORCH_TRY(auto &group = unwrap_group(handle); require(out, "out"); require(count, "count");
             ctorch_tensor handles[1] = {tensor};
             auto inputs = collective_tensors(handles, 1, "allgather");
             std::vector<std::vector<torch::Tensor>> outputs(1);
             for (int i = 0; i < group.world_size; i++) outputs[0].push_back(torch::empty_like(inputs[0]));
             wait(group, group.backend->allgather(outputs, inputs));
             write_array(outputs[0], out, count))
}
#else
int ctorch_process_group_free(ctorch_process_group group) { (void)group; return 0; }
int ctorch_process_group_allreduce(ctorch_process_group, const ctorch_tensor *, size_t, bool) {
  set_error("this libtorch has no c10d");
  return 1;
}
int ctorch_process_group_broadcast(ctorch_process_group, const ctorch_tensor *, size_t, int32_t) {
  set_error("this libtorch has no c10d");
  return 1;
}
int ctorch_process_group_barrier(ctorch_process_group) {
  set_error("this libtorch has no c10d");
  return 1;
}
int ctorch_process_group_allgather(ctorch_process_group, ctorch_tensor, ctorch_tensor **, size_t *) {
  set_error("this libtorch has no c10d");
  return 1;
}
#endif

} // extern "C"
