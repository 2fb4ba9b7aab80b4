// SHA-256, hex and constant-time comparison helpers. All thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace tenantkv::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
// SHA-256 of a whole file, read in chunks. NotFound if it does not exist,
// Internal if it cannot be read.
Result<Sha256Digest> Sha256File(const std::string& path);

// Compares in time that depends only on the lengths (CRYPTO_memcmp).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string HexEncode(std::string_view bytes);
// Lowercase or uppercase hex; nullopt if the length is odd or a digit is bad.
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace tenantkv::crypto
