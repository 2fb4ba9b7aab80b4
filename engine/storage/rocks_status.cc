#include "engine/storage/rocks_status.h"

#include <string>

namespace tenantkv::engine {

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::DataLoss(msg, "storage_corruption");
  if (s.IsNoSpace()) return Status::Unavailable(msg, "storage_full");
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIncomplete() || s.IsShutdownInProgress()) {
    return Status::Unavailable(msg, "storage_busy");
  }
  if (s.IsInvalidArgument()) return Status::Internal(msg, "storage_invalid_argument");
  return Status::Internal(msg, "storage_error");
}

}  // namespace tenantkv::engine
