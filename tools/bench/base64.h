// Base64 (RFC 4648 §4, standard alphabet, padded) for the `value_b64` fields
// of /v1/batch.
#pragma once

#include <string>
#include <string_view>

namespace tenantkv::bench {

std::string Base64Encode(std::string_view bytes);

}  // namespace tenantkv::bench
