// Converts the OpenSSL error queue into a Status: the one place that does.
#pragma once

#include <string_view>

#include "crypto/status.h"

namespace tenantkv::crypto {

// Drains this thread's OpenSSL error queue and returns an Internal status
// naming `what` and the library's reason. Never includes key material.
Status OpenSslError(std::string_view what);

}  // namespace tenantkv::crypto
