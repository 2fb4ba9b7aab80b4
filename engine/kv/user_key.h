// The rule every user key (the name of a value) must follow.
#pragma once

#include <string_view>

#include "crypto/status.h"

namespace tenantkv::engine {

// Ok for 1 to kMaxKeyBytes bytes of anything (keys are bytes, not text);
// InvalidArgument("invalid_key") if empty, ("key_too_long") if longer.
Status ValidateUserKey(std::string_view key);

}  // namespace tenantkv::engine
