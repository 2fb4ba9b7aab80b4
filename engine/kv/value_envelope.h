// The value envelope: how every value is sealed before it reaches RocksDB.
//
//   format (1 byte) | data-key version (4 bytes, big-endian) |
//   nonce (12 bytes) | ciphertext | tag (16 bytes)
//
// AAD = format | version | tenant id (length-prefixed) | user key, so a value
// copied under another key, into another tenant, or relabelled with another
// key version fails to open. Format 0x01 holds the value alone; format 0x02
// holds an 8-byte big-endian expiry (Unix ms) in front of the value, inside
// the ciphertext. The ETag of a stored value is its nonce in hex: fresh and
// random for every write.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"
#include "crypto/status.h"

namespace tenantkv::engine {

inline constexpr uint8_t kEnvelopePlain = 0x01;
inline constexpr uint8_t kEnvelopeWithExpiry = 0x02;
inline constexpr size_t kEnvelopeHeaderBytes = 1 + 4 + 12;
inline constexpr size_t kEnvelopeOverheadBytes = kEnvelopeHeaderBytes + 16;

struct EnvelopeHeader {
  uint8_t format = 0;
  uint32_t key_version = 0;
  std::string_view nonce;  // 12 bytes, points into the sealed buffer
  size_t value_size = 0;   // plaintext value bytes (expiry prefix excluded)
  bool has_expiry() const { return format == kEnvelopeWithExpiry; }
};

// Validates the framing (not the tag). DataLoss("bad_envelope") if malformed.
Result<EnvelopeHeader> ParseEnvelope(std::string_view sealed);

// The ETag (without quotes) of a sealed value.
std::string EnvelopeEtag(const EnvelopeHeader& header);

// Seals `value` for (tenant, user_key) under data key `key` of `key_version`
// with a fresh random nonce; `expires_at_ms` 0 means no expiry. Replaces *out.
Status SealValue(const crypto::SecretBytes& key, uint32_t key_version, std::string_view tenant,
                 std::string_view user_key, std::string_view value, int64_t expires_at_ms,
                 std::string* out);

// As SealValue, but with the given 12-byte `nonce` instead of a fresh one.
// Only for re-sealing a stored value under a *newer* data key: the nonce
// (and so the ETag) stays the same, and since it was drawn at random for
// another key, it is as fresh for the new key as a new random one.
Status SealValueWithNonce(const crypto::SecretBytes& key, uint32_t key_version, std::string_view tenant,
                          std::string_view user_key, std::string_view value, int64_t expires_at_ms,
                          std::string_view nonce, std::string* out);

// Opens a sealed value. On success *value holds the plaintext value and
// *expires_at_ms its expiry (0 = none). DataLoss("decrypt_failed") if the
// envelope does not authenticate for this tenant, key and data key.
Status OpenValue(const crypto::SecretBytes& key, std::string_view tenant, std::string_view user_key,
                 std::string_view sealed, std::string* value, int64_t* expires_at_ms);

}  // namespace tenantkv::engine
