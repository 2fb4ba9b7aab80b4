// AES-256-GCM authenticated encryption over OpenSSL EVP.
//
// Each thread keeps one cipher context per direction, reset (and so wiped
// by OpenSSL) at the end of every call, so no key schedule outlives the
// call that used it. All functions are thread-safe. The caller chooses the
// nonce: it must never repeat under one key (random 96-bit nonces are safe
// for about 2^32 seals per key).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"
#include "crypto/status.h"

namespace tenantkv::crypto {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;

// Encrypts `plaintext` and writes ciphertext followed by the 16-byte tag to
// `out`, which must have room for plaintext.size() + kAeadTagBytes bytes.
// InvalidArgument if the key is not 32 bytes.
Status AeadSeal(const SecretBytes& key, const uint8_t* nonce, std::string_view aad,
                std::string_view plaintext, uint8_t* out);

// Checks the tag and decrypts `sealed` (ciphertext || tag) into `out`, which
// must have room for sealed.size() - kAeadTagBytes bytes. DataLoss
// ("decrypt_failed") when the tag does not verify: wrong key, wrong AAD or
// tampered bytes; `out` then holds nothing meaningful and is wiped.
Status AeadOpen(const SecretBytes& key, const uint8_t* nonce, std::string_view aad,
                std::string_view sealed, uint8_t* out);

}  // namespace tenantkv::crypto
