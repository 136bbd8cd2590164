// csentencepiece.cpp: the C API of csentencepiece.h over sentencepiece::SentencePieceProcessor.
// Every body runs inside CSP_TRY so no C++ exception crosses into Swift. See the header for
// why this library is loaded with dlopen instead of being linked.
#include "csentencepiece.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

thread_local std::string last_error;

sentencepiece::SentencePieceProcessor &unwrap(csp_processor handle) {
  if (handle == nullptr) throw std::invalid_argument("the SentencePiece handle is NULL");
  return *reinterpret_cast<sentencepiece::SentencePieceProcessor *>(handle);
}

template <typename T> T *require(T *pointer, const char *name) {
  if (pointer == nullptr) throw std::invalid_argument(std::string(name) + " is NULL");
  return pointer;
}

void ok(const sentencepiece::util::Status &status) {
  if (!status.ok()) throw std::runtime_error(status.ToString());
}

csp_processor load(const std::function<sentencepiece::util::Status(sentencepiece::SentencePieceProcessor &)> &loader) {
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  ok(loader(*processor));
  return reinterpret_cast<csp_processor>(processor.release());
}

} // namespace

#define CSP_TRY(...)                                                                             \
  try {                                                                                          \
    __VA_ARGS__;                                                                                 \
    return 0;                                                                                    \
  } catch (const std::exception &error) {                                                        \
    last_error = error.what();                                                                   \
    return 1;                                                                                    \
  } catch (...) {                                                                                \
    last_error = "unknown C++ exception";                                                        \
    return 1;                                                                                    \
  }

extern "C" {

const char *csp_last_error(void) { return last_error.c_str(); }

int csp_load_file(const char *path, csp_processor *out) {
  CSP_TRY(require(out, "out"); std::string file(require(path, "path"));
          *out = load([&](auto &p) { return p.Load(file); }))
}

int csp_load_bytes(const void *bytes, size_t count, csp_processor *out) {
  CSP_TRY(require(out, "out");
          std::string serialized(static_cast<const char *>(require(bytes, "bytes")), count);
          *out = load([&](auto &p) { return p.LoadFromSerializedProto(serialized); }))
}

int csp_free(csp_processor processor) {
  CSP_TRY(delete reinterpret_cast<sentencepiece::SentencePieceProcessor *>(processor))
}

int csp_encode_ids(csp_processor processor, const char *text, size_t length, int32_t **ids, size_t *count) {
  CSP_TRY(require(ids, "ids"); require(count, "count"); std::vector<int> result;
          ok(unwrap(processor).Encode(std::string(length == 0 ? "" : require(text, "text"), length), &result));
          auto array = static_cast<int32_t *>(std::malloc(sizeof(int32_t) * (result.empty() ? 1 : result.size())));
          if (array == nullptr) throw std::bad_alloc();
          for (size_t i = 0; i < result.size(); i++) array[i] = result[i];
          *ids = array; *count = result.size())
}

int csp_free_ids(int32_t *ids) { CSP_TRY(std::free(ids)) }

int csp_encode_pieces(csp_processor processor, const char *text, size_t length, char **pieces,
                      size_t *byte_count, size_t *count) {
  CSP_TRY(require(pieces, "pieces"); require(byte_count, "byte_count"); require(count, "count");
          std::vector<std::string> result;
          ok(unwrap(processor).Encode(std::string(length == 0 ? "" : require(text, "text"), length), &result));
          size_t total = 0; for (const auto &piece : result) total += piece.size() + 1;
          auto buffer = static_cast<char *>(std::malloc(total == 0 ? 1 : total));
          if (buffer == nullptr) throw std::bad_alloc();
          size_t offset = 0; for (const auto &piece : result) {
            std::memcpy(buffer + offset, piece.c_str(), piece.size() + 1);
            offset += piece.size() + 1;
          } *pieces = buffer; *byte_count = total; *count = result.size())
}

int csp_free_pieces(char *pieces) { CSP_TRY(std::free(pieces)) }

int csp_vocabulary_size(csp_processor processor, int32_t *out) {
  CSP_TRY(*require(out, "out") = unwrap(processor).GetPieceSize())
}

int csp_piece_to_id(csp_processor processor, const char *piece, int32_t *out) {
  CSP_TRY(*require(out, "out") = unwrap(processor).PieceToId(require(piece, "piece")))
}

int csp_id_to_piece(csp_processor processor, int32_t id, char *buffer, size_t capacity) {
  CSP_TRY(auto &p = unwrap(processor);
          if (id < 0 || id >= p.GetPieceSize())
            throw std::out_of_range("id " + std::to_string(id) + " is outside the vocabulary of " +
                                    std::to_string(p.GetPieceSize()));
          const auto &piece = p.IdToPiece(id);
          if (piece.size() + 1 > capacity) throw std::length_error("the piece does not fit the buffer");
          std::memcpy(require(buffer, "buffer"), piece.c_str(), piece.size() + 1))
}

int csp_special_ids(csp_processor processor, int32_t *unk, int32_t *bos, int32_t *eos, int32_t *pad) {
  CSP_TRY(auto &p = unwrap(processor); *require(unk, "unk") = p.unk_id(); *require(bos, "bos") = p.bos_id();
          *require(eos, "eos") = p.eos_id(); *require(pad, "pad") = p.pad_id())
}

int csp_is_special(csp_processor processor, int32_t id, int32_t *is_control, int32_t *is_unknown,
                   int32_t *is_unused) {
  CSP_TRY(auto &p = unwrap(processor);
          if (id < 0 || id >= p.GetPieceSize()) throw std::out_of_range("id " + std::to_string(id) + " is outside the vocabulary");
          *require(is_control, "is_control") = p.IsControl(id) ? 1 : 0;
          *require(is_unknown, "is_unknown") = p.IsUnknown(id) ? 1 : 0;
          *require(is_unused, "is_unused") = p.IsUnused(id) ? 1 : 0)
}

} // extern "C"
