// Strict standard base64 (RFC 4648 §4, with padding): encoding by OpenSSL,
// decoding by one table pass that also checks the text is canonical.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tenantkv::server {

std::string Base64Encode(std::string_view bytes);
// nullopt unless `text` is canonical padded base64 (no whitespace).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace tenantkv::server
