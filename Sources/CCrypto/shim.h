// SHA-256 from OpenSSL's libcrypto (Debian's libssl-dev, found with pkg-config "libcrypto"):
// the digests that prove a run folder's files belong together (Sources/Training/RunManifest.swift).
#include <openssl/evp.h>
