#include "server/http/base64.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>

namespace tenantkv::server {
namespace {

// The 6-bit value of each base64 alphabet character; -1 for every other byte.
constexpr std::array<int8_t, 256> kSextets = [] {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}();

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  if (bytes.empty()) return out;
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  std::string out(text.size() / 4 * 3 - pad, '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const size_t chars = text.size() - pad;  // every one must be in the alphabet
  size_t o = 0;
  uint32_t acc = 0;
  for (size_t i = 0; i < chars; ++i) {
    const int v = kSextets[in[i]];
    if (v < 0) return std::nullopt;  // outside the alphabet, or '=' before the end
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (i % 4 == 3) {
      out[o++] = static_cast<char>(acc >> 16);
      out[o++] = static_cast<char>(acc >> 8);
      out[o++] = static_cast<char>(acc);
      acc = 0;
    }
  }
  // Canonical only: the bits after the last encoded byte must be zero
  // (RFC 4648 §3.5), so each byte string has exactly one accepted text.
  if (pad == 1) {  // 3 sextets: 18 bits, 2 bytes, 2 spare bits
    if ((acc & 0x3) != 0) return std::nullopt;
    out[o++] = static_cast<char>(acc >> 10);
    out[o++] = static_cast<char>(acc >> 2);
  } else if (pad == 2) {  // 2 sextets: 12 bits, 1 byte, 4 spare bits
    if ((acc & 0xf) != 0) return std::nullopt;
    out[o++] = static_cast<char>(acc >> 4);
  }
  return out;
}

}  // namespace tenantkv::server
