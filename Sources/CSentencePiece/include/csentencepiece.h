/*
 * csentencepiece.h: a plain C API over Debian's libsentencepiece (C++), in the manner of
 * Sources/CTorch/include/ctorch.h: opaque handles, an int status from every function (0 = ok),
 * results through out-parameters, a thread-local last error, one free function per handle.
 *
 * NOT LINKED INTO SWIFT BINARIES. This target is built as the dynamic library product
 * `libArenaSentencePiece.so` and loaded at run time by Sources/Tokenizers/SentencePieceLibrary.swift
 * with dlopen(RTLD_LOCAL | RTLD_DEEPBIND). The reason: Debian's libsentencepiece.so.0 carries
 * its own copy of protobuf-lite 3.14 with exported symbols, while libtorch pulls in the system
 * libprotobuf 3.21. Linked into one process the two copies interpose each other and the process
 * dies before main ("compiled against version 3.14.0 of the Protocol Buffer runtime ... not
 * compatible with the installed version (3.21.12)", or a segfault in protobuf's static
 * initialisers). Loaded locally with deep binding, sentencepiece keeps to its own copy.
 * Swift calls these functions through pointers from dlsym, so keep the signatures in step with
 * the `@convention(c)` types in SentencePieceLibrary.swift.
 */
#ifndef CSENTENCEPIECE_H
#define CSENTENCEPIECE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct csp_processor_opaque *csp_processor;

/* The message of the last failing call on this thread ("" if none). Never NULL. */
const char *csp_last_error(void);

/* Loads a model from a file (spm.model). */
int csp_load_file(const char *path, csp_processor *out);
/* Loads a model from its serialized bytes. */
int csp_load_bytes(const void *bytes, size_t count, csp_processor *out);
int csp_free(csp_processor processor);

/* Encodes UTF-8 text to ids. The id array is allocated by the shim: free it with csp_free_ids. */
int csp_encode_ids(csp_processor processor, const char *text, size_t length, int32_t **ids, size_t *count);
int csp_free_ids(int32_t *ids);

/* Encodes UTF-8 text to pieces, written as one buffer of NUL-terminated strings (count of them).
 * Free the buffer with csp_free_pieces. */
int csp_encode_pieces(csp_processor processor, const char *text, size_t length, char **pieces,
                      size_t *byte_count, size_t *count);
int csp_free_pieces(char *pieces);

int csp_vocabulary_size(csp_processor processor, int32_t *out);
/* The id of a piece (the unknown id when absent). */
int csp_piece_to_id(csp_processor processor, const char *piece, int32_t *out);
/* The piece of an id, copied into `buffer` (NUL-terminated); fails when it does not fit. */
int csp_id_to_piece(csp_processor processor, int32_t id, char *buffer, size_t capacity);
/* unk, bos, eos, pad ids (-1 when the model has none). */
int csp_special_ids(csp_processor processor, int32_t *unk, int32_t *bos, int32_t *eos, int32_t *pad);
/* Whether an id is a control, unknown or unused piece. */
int csp_is_special(csp_processor processor, int32_t id, int32_t *is_control, int32_t *is_unknown,
                   int32_t *is_unused);

#ifdef __cplusplus
}
#endif

#endif /* CSENTENCEPIECE_H */
