/*
 * ctorch.h: a plain C API over libtorch (PyTorch's C++ core), in the manner of tch-rs's
 * torch_api.h (https://github.com/LaurentMazare/tch-rs/blob/main/torch-sys/libtch/torch_api.h).
 *
 * Rules every function follows:
 *  - Handles are opaque pointers. Each handle type has exactly one free function.
 *  - Every function returns an int status: 0 on success, nonzero on failure. On failure the
 *    message is in ctorch_last_error() (thread-local, valid until the next failing call on
 *    that thread) and no out-parameter was written.
 *  - Results come back through out-parameters. A tensor written to an out-parameter is a new
 *    handle owned by the caller.
 *  - No C++ exception ever crosses this boundary.
 */
#ifndef CTORCH_H
#define CTORCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ctorch_tensor_opaque *ctorch_tensor;
typedef struct ctorch_generator_opaque *ctorch_generator;
typedef struct ctorch_optimizer_opaque *ctorch_optimizer;

/* Element types: the values of c10::ScalarType (checked by static_assert in ctorch.cpp). */
enum {
  CTORCH_UINT8 = 0,
  CTORCH_INT8 = 1,
  CTORCH_INT16 = 2,
  CTORCH_INT32 = 3,
  CTORCH_INT64 = 4,
  CTORCH_FLOAT16 = 5,
  CTORCH_FLOAT32 = 6,
  CTORCH_FLOAT64 = 7,
  CTORCH_BOOL = 11,
  CTORCH_BFLOAT16 = 15,
};

/* Device types: the values of c10::DeviceType. */
enum { CTORCH_CPU = 0, CTORCH_CUDA = 1 };

/* ---- library ---------------------------------------------------------------------------- */

/* The message of the last failing call on this thread ("" if none). Never NULL. */
const char *ctorch_last_error(void);
/* The libtorch version the shim was compiled against, e.g. "1.13.0". */
int ctorch_version(const char **out);
int ctorch_cuda_device_count(int64_t *out);
/* What the loaded libtorch runs on, as text valid until the next call on this thread:
   0 torch.__config__.show() (compiler, BLAS, oneDNN, build flags), 1 the CPU kernel family
   chosen at start-up (torch.backends.cpu.get_cpu_capability(): "DEFAULT", "AVX2", "AVX512", ...),
   2 torch.__config__.parallel_info() (threads, OpenMP, MKL), 3 the path of the loaded
   libtorch_cpu library. */
int ctorch_runtime_info(int32_t what, const char **out);
int ctorch_manual_seed(uint64_t seed);
int ctorch_set_num_threads(int32_t count);
int ctorch_get_num_threads(int32_t *out);
/* glibc: keep freed memory (mallopt M_MMAP_THRESHOLD 1 GiB, M_TRIM_THRESHOLD 2 GiB). Writes 1 when
 * applied, 0 where malloc is not glibc's. */
int ctorch_keep_freed_memory(int32_t *applied);
int ctorch_grad_enabled(bool *out);
/* Tensor handles created minus handles freed on the calling thread (leak checks in tests). */
int ctorch_thread_live_tensor_count(int64_t *out);
int ctorch_set_grad_enabled(bool enabled);

/* Autocast (mixed precision), mirroring torch.autocast's __enter__/__exit__. `push` saves the
 * previous state of that device type into the two out-parameters; `pop` restores it. */
int ctorch_autocast_push(int32_t device_type, int32_t dtype, bool enabled,
                         bool *previous_enabled, int32_t *previous_dtype);
int ctorch_autocast_pop(int32_t device_type, bool previous_enabled, int32_t previous_dtype);

/* ---- generators ---------------------------------------------------------------------------- */

int ctorch_generator_new(uint64_t seed, ctorch_generator *out);
int ctorch_generator_free(ctorch_generator generator);

/* ---- tensor lifecycle and metadata --------------------------------------------------------- */

int ctorch_tensor_free(ctorch_tensor tensor);
/* Frees an array of handles returned by split/chunk (not the tensors in it). */
int ctorch_tensor_array_free(ctorch_tensor *array);

/* Copies `byte_count` bytes of contiguous row-major elements into a new CPU tensor. */
int ctorch_tensor_from_bytes(const void *data, size_t byte_count, const int64_t *shape, size_t rank,
                             int32_t dtype, ctorch_tensor *out);
/* Copies the elements (row-major, as the tensor's dtype) into `destination`, which must hold
 * exactly numel * element size bytes. Works for any device and layout. */
int ctorch_tensor_copy_to_bytes(ctorch_tensor tensor, void *destination, size_t byte_count);
int ctorch_tensor_rank(ctorch_tensor tensor, int64_t *out);
/* Writes min(rank, capacity) sizes. */
int ctorch_tensor_shape(ctorch_tensor tensor, int64_t *out, size_t capacity);
int ctorch_tensor_numel(ctorch_tensor tensor, int64_t *out);
int ctorch_tensor_dtype(ctorch_tensor tensor, int32_t *out);
int ctorch_tensor_device(ctorch_tensor tensor, int32_t *device_type, int32_t *device_index);
int ctorch_tensor_item(ctorch_tensor tensor, double *out);
/* A printable description; free the string with ctorch_string_free. */
int ctorch_tensor_description(ctorch_tensor tensor, char **out);
int ctorch_string_free(char *string);
/* Another handle to the same tensor (shared storage and autograd identity). */
int ctorch_tensor_share(ctorch_tensor tensor, ctorch_tensor *out);

/* ---- creation ------------------------------------------------------------------------------ */

int ctorch_full(const int64_t *shape, size_t rank, double value, int32_t dtype, int32_t device_type,
                int32_t device_index, ctorch_tensor *out);
int ctorch_arange(double start, double end, double step, int32_t dtype, int32_t device_type,
                  int32_t device_index, ctorch_tensor *out);
/* generator may be NULL (the global default generator). */
int ctorch_rand(const int64_t *shape, size_t rank, int32_t dtype, int32_t device_type,
                int32_t device_index, ctorch_generator generator, ctorch_tensor *out);
int ctorch_randn(const int64_t *shape, size_t rank, int32_t dtype, int32_t device_type,
                 int32_t device_index, ctorch_generator generator, ctorch_tensor *out);
/* Uniform integers in [low, high). */
int ctorch_randint(int64_t low, int64_t high, const int64_t *shape, size_t rank,
                   int32_t device_type, int32_t device_index, ctorch_generator generator,
                   ctorch_tensor *out);
/* A random permutation of 0..<n (int64). */
int ctorch_randperm(int64_t n, ctorch_generator generator, ctorch_tensor *out);

/* ---- autograd ------------------------------------------------------------------------------ */

int ctorch_tensor_requires_grad(ctorch_tensor tensor, bool *out);
int ctorch_tensor_set_requires_grad(ctorch_tensor tensor, bool requires_grad);
/* *out is NULL when the tensor has no gradient. */
int ctorch_tensor_grad(ctorch_tensor tensor, ctorch_tensor *out);
/* gradient may be NULL for a scalar. */
int ctorch_tensor_backward(ctorch_tensor tensor, ctorch_tensor gradient, bool retain_graph);
/* Sets the gradient to None (set_to_none = true) or zero. */
int ctorch_tensor_zero_grad(ctorch_tensor tensor, bool set_to_none);
int ctorch_tensor_detach(ctorch_tensor tensor, ctorch_tensor *out);
int ctorch_tensor_is_leaf(ctorch_tensor tensor, bool *out);

/* ---- element-wise --------------------------------------------------------------------------- */

enum {
  CTORCH_NEG = 0, CTORCH_EXP, CTORCH_LOG, CTORCH_LOG1P, CTORCH_SQRT, CTORCH_RSQRT, CTORCH_TANH,
  CTORCH_ERF, CTORCH_RELU, CTORCH_SIGN, CTORCH_ABS, CTORCH_FLOOR, CTORCH_CEIL, CTORCH_ROUND,
  CTORCH_SIGMOID, CTORCH_GELU, CTORCH_GELU_TANH, CTORCH_LOGICAL_NOT, CTORCH_RECIPROCAL,
  CTORCH_SIN, CTORCH_COS, CTORCH_SQUARE, CTORCH_SILU,
};
int ctorch_unary(int32_t op, ctorch_tensor tensor, ctorch_tensor *out);

enum {
  CTORCH_ADD = 0, CTORCH_SUB, CTORCH_MUL, CTORCH_DIV, CTORCH_POW, CTORCH_MAXIMUM, CTORCH_MINIMUM,
  CTORCH_EQ, CTORCH_NE, CTORCH_LT, CTORCH_LE, CTORCH_GT, CTORCH_GE, CTORCH_LOGICAL_AND,
  CTORCH_LOGICAL_OR, CTORCH_REMAINDER, CTORCH_FLOOR_DIVIDE,
};
int ctorch_binary(int32_t op, ctorch_tensor lhs, ctorch_tensor rhs, ctorch_tensor *out);
/* tensor (op) scalar, or scalar (op) tensor when `scalar_first`. The scalar keeps the
 * tensor's dtype, as in Python. */
int ctorch_binary_scalar(int32_t op, ctorch_tensor tensor, double scalar, bool scalar_first,
                         ctorch_tensor *out);
/* has_min / has_max select which bound applies. */
int ctorch_clamp(ctorch_tensor tensor, bool has_min, double min, bool has_max, double max,
                 ctorch_tensor *out);
int ctorch_where(ctorch_tensor condition, ctorch_tensor lhs, ctorch_tensor rhs, ctorch_tensor *out);
int ctorch_masked_fill(ctorch_tensor tensor, ctorch_tensor mask, double value, ctorch_tensor *out);

/* ---- linear algebra and neural-network functions ------------------------------------------ */

int ctorch_matmul(ctorch_tensor lhs, ctorch_tensor rhs, ctorch_tensor *out);
int ctorch_bmm(ctorch_tensor lhs, ctorch_tensor rhs, ctorch_tensor *out);
/* bias may be NULL. */
int ctorch_linear(ctorch_tensor input, ctorch_tensor weight, ctorch_tensor bias, ctorch_tensor *out);
/* dtype < 0: keep the input's dtype. */
int ctorch_softmax(ctorch_tensor tensor, int64_t dim, int32_t dtype, ctorch_tensor *out);
int ctorch_log_softmax(ctorch_tensor tensor, int64_t dim, int32_t dtype, ctorch_tensor *out);
/* weight and bias may be NULL. */
int ctorch_layer_norm(ctorch_tensor input, const int64_t *normalized_shape, size_t rank,
                      ctorch_tensor weight, ctorch_tensor bias, double eps, ctorch_tensor *out);
/* padding_index < 0: none. */
int ctorch_embedding(ctorch_tensor weight, ctorch_tensor indices, int64_t padding_index,
                     ctorch_tensor *out);
int ctorch_dropout(ctorch_tensor tensor, double probability, bool training, ctorch_tensor *out);
/* torch.nn.functional.scaled_dot_product_attention: softmax(q k^T * scale + mask) v with
   dropout_p on the weights, by the fused kernel libtorch picks (flash attention on the CPU).
   mask may be NULL (boolean: true = attend; or additive, of q's dtype); scale < 0: 1/sqrt(d). */
int ctorch_scaled_dot_product_attention(ctorch_tensor query, ctorch_tensor key, ctorch_tensor value,
                                        ctorch_tensor mask, double dropout_p, bool is_causal,
                                        double scale, ctorch_tensor *out);
/* reduction: 0 none, 1 mean, 2 sum. weight may be NULL. */
int ctorch_cross_entropy(ctorch_tensor logits, ctorch_tensor target, ctorch_tensor weight,
                         int32_t reduction, int64_t ignore_index, double label_smoothing,
                         ctorch_tensor *out);
int ctorch_mse_loss(ctorch_tensor input, ctorch_tensor target, int32_t reduction, ctorch_tensor *out);

/* ---- indexing and joining ------------------------------------------------------------------ */

int ctorch_gather(ctorch_tensor tensor, int64_t dim, ctorch_tensor index, ctorch_tensor *out);
int ctorch_index_select(ctorch_tensor tensor, int64_t dim, ctorch_tensor index, ctorch_tensor *out);
int ctorch_cat(const ctorch_tensor *tensors, size_t count, int64_t dim, ctorch_tensor *out);
int ctorch_stack(const ctorch_tensor *tensors, size_t count, int64_t dim, ctorch_tensor *out);
/* The array is allocated by the shim: free it with ctorch_tensor_array_free after taking
 * ownership of each handle. */
int ctorch_split(ctorch_tensor tensor, int64_t split_size, int64_t dim, ctorch_tensor **out,
                 size_t *count);
int ctorch_chunk(ctorch_tensor tensor, int64_t chunks, int64_t dim, ctorch_tensor **out,
                 size_t *count);
int ctorch_narrow(ctorch_tensor tensor, int64_t dim, int64_t start, int64_t length, ctorch_tensor *out);
int ctorch_slice(ctorch_tensor tensor, int64_t dim, int64_t start, int64_t end, int64_t step,
                 ctorch_tensor *out);
int ctorch_select(ctorch_tensor tensor, int64_t dim, int64_t index, ctorch_tensor *out);

/* ---- shape --------------------------------------------------------------------------------- */

int ctorch_view(ctorch_tensor tensor, const int64_t *shape, size_t rank, ctorch_tensor *out);
int ctorch_reshape(ctorch_tensor tensor, const int64_t *shape, size_t rank, ctorch_tensor *out);
int ctorch_expand(ctorch_tensor tensor, const int64_t *shape, size_t rank, ctorch_tensor *out);
int ctorch_repeat(ctorch_tensor tensor, const int64_t *repeats, size_t rank, ctorch_tensor *out);
int ctorch_permute(ctorch_tensor tensor, const int64_t *dims, size_t rank, ctorch_tensor *out);
int ctorch_transpose(ctorch_tensor tensor, int64_t dim0, int64_t dim1, ctorch_tensor *out);
int ctorch_contiguous(ctorch_tensor tensor, ctorch_tensor *out);
int ctorch_unsqueeze(ctorch_tensor tensor, int64_t dim, ctorch_tensor *out);
/* has_dim false: squeeze every dimension of size 1. */
int ctorch_squeeze(ctorch_tensor tensor, bool has_dim, int64_t dim, ctorch_tensor *out);
/* A view with explicit sizes, strides and storage offset (in elements). */
int ctorch_as_strided(ctorch_tensor tensor, const int64_t *shape, const int64_t *strides, size_t rank,
                      int64_t storage_offset, ctorch_tensor *out);
int ctorch_flatten(ctorch_tensor tensor, int64_t start_dim, int64_t end_dim, ctorch_tensor *out);

/* ---- reductions ---------------------------------------------------------------------------- */

/* rank 0 (dims NULL): reduce over every dimension. dtype < 0: default. */
int ctorch_sum(ctorch_tensor tensor, const int64_t *dims, size_t rank, bool keep_dim, int32_t dtype,
               ctorch_tensor *out);
int ctorch_mean(ctorch_tensor tensor, const int64_t *dims, size_t rank, bool keep_dim, int32_t dtype,
                ctorch_tensor *out);
/* Values and int64 indices of the maximum (or minimum) along dim. */
int ctorch_max_dim(ctorch_tensor tensor, int64_t dim, bool keep_dim, ctorch_tensor *values,
                   ctorch_tensor *indices);
int ctorch_min_dim(ctorch_tensor tensor, int64_t dim, bool keep_dim, ctorch_tensor *values,
                   ctorch_tensor *indices);
int ctorch_max_all(ctorch_tensor tensor, ctorch_tensor *out);
int ctorch_min_all(ctorch_tensor tensor, ctorch_tensor *out);
int ctorch_argmax(ctorch_tensor tensor, int64_t dim, bool keep_dim, ctorch_tensor *out);

/* ---- conversion and copies ----------------------------------------------------------------- */

/* dtype < 0 keeps the dtype; device_type < 0 keeps the device. */
int ctorch_to(ctorch_tensor tensor, int32_t dtype, int32_t device_type, int32_t device_index,
              ctorch_tensor *out);
int ctorch_clone(ctorch_tensor tensor, ctorch_tensor *out);
/* destination.copy_(source) under no-grad (loading weights into parameters). */
int ctorch_copy_(ctorch_tensor destination, ctorch_tensor source);
/* tensor.fill_(value) under no-grad. */
int ctorch_fill_(ctorch_tensor tensor, double value);
/* Activation checkpointing (torch.utils.checkpoint.checkpoint with use_reentrant=True,
   torch/utils/checkpoint.py v2.15.0): `body(context, input, &output)` runs once without
   recording (only `input` is kept), and again in the backward pass with recording on, the
   default generator of the input's device and the autocast state of the forward pass restored,
   so dropout draws the same masks; its graph is then back-propagated, which accumulates into
   the gradients of the parameters the body used. `body` hands over a handle of its own (the
   shim frees it) and returns 0, or nonzero after `fail`ing with a message. `release(context)`
   is called once when neither pass needs the body any more. */
typedef int (*ctorch_checkpoint_body)(void *context, ctorch_tensor input, ctorch_tensor *output);
typedef void (*ctorch_checkpoint_release)(void *context);
int ctorch_checkpoint(ctorch_tensor input, ctorch_checkpoint_body body, ctorch_checkpoint_release release,
                      void *context, ctorch_tensor *out);
/* Sets the message a failing checkpoint body reports. */
void ctorch_set_error(const char *message);

/* ---- optimizers ---------------------------------------------------------------------------- */

/* CTORCH_ADAMW_FUSED: AdamW whose step is one at::_fused_adamw_ call per parameter group (as
   torch.optim.AdamW(fused=True)), with the same state as CTORCH_ADAMW, so saved states load in
   either. */
enum { CTORCH_SGD = 0, CTORCH_ADAM = 1, CTORCH_ADAMW = 2, CTORCH_ADAMW_FUSED = 3 };

typedef struct {
  const ctorch_tensor *parameters;
  size_t count;
  double learning_rate;
  double weight_decay;
} ctorch_parameter_group;

typedef struct {
  double beta1, beta2, eps; /* Adam, AdamW */
  bool amsgrad;             /* Adam, AdamW */
  double momentum, dampening;
  bool nesterov; /* SGD */
} ctorch_optimizer_options;

int ctorch_optimizer_new(int32_t kind, const ctorch_parameter_group *groups, size_t group_count,
                         ctorch_optimizer_options options, ctorch_optimizer *out);
int ctorch_optimizer_free(ctorch_optimizer optimizer);
int ctorch_optimizer_step(ctorch_optimizer optimizer);
int ctorch_optimizer_zero_grad(ctorch_optimizer optimizer, bool set_to_none);
int ctorch_optimizer_group_count(ctorch_optimizer optimizer, size_t *out);
int ctorch_optimizer_learning_rate(ctorch_optimizer optimizer, size_t group, double *out);
int ctorch_optimizer_set_learning_rate(ctorch_optimizer optimizer, size_t group, double learning_rate);
/* The optimizer's state (moments, step counts) in libtorch's archive format, for resuming. */
int ctorch_optimizer_save(ctorch_optimizer optimizer, const char *path);
int ctorch_optimizer_load(ctorch_optimizer optimizer, const char *path);
/* torch.nn.utils.clip_grad_norm_: scales the gradients in place; writes the norm before
 * clipping. */
int ctorch_clip_grad_norm(const ctorch_tensor *parameters, size_t count, double max_norm,
                          double norm_type, double *total_norm);

/* ---- c10d: data-parallel collectives (PyTorch's distributed engine) ----
 * A Gloo process group (c10d::ProcessGroupGloo, CPU tensors) over a c10d::TCPStore that rank 0
 * serves at master_addr:master_port. Creation waits until all world_size ranks joined; every
 * collective waits for its work with the group's timeout, so a rank that is missing or dies ends
 * the others' calls with status 1 and c10d's message instead of a hang. Collectives are in place
 * and must be called in the same order on every rank. */
typedef struct ctorch_process_group_opaque *ctorch_process_group;
/* Whether this build of the shim has c10d (libtorch's c10d headers were found). */
int ctorch_distributed_available(bool *out);
int ctorch_process_group_new(int32_t rank, int32_t world_size, const char *master_addr,
                             int32_t master_port, int64_t timeout_ms, ctorch_process_group *out);
int ctorch_process_group_free(ctorch_process_group group);
/* Sums each tensor across the ranks, in place (one call per bucket of gradients); with mean,
 * divides the sums by world_size (Gloo has no average op). */
int ctorch_process_group_allreduce(ctorch_process_group group, const ctorch_tensor *tensors,
                                   size_t count, bool mean);
/* Overwrites each tensor with root's, in place. */
int ctorch_process_group_broadcast(ctorch_process_group group, const ctorch_tensor *tensors,
                                   size_t count, int32_t root);
int ctorch_process_group_barrier(ctorch_process_group group);
/* Every rank's copy of `tensor` (same shape and dtype on each), in rank order: world_size new
 * tensors in an array, freed like split's (ctorch_tensor_array_free). */
int ctorch_process_group_allgather(ctorch_process_group group, ctorch_tensor tensor,
                                   ctorch_tensor **out, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* CTORCH_H */
