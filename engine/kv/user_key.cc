#include "engine/kv/user_key.h"

#include "engine/kv/kv_types.h"

namespace tenantkv::engine {

Status ValidateUserKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("key must not be empty", "invalid_key");
  if (key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument("key is longer than 1024 bytes", "key_too_long");
  }
  return Status::Ok();
}

}  // namespace tenantkv::engine
