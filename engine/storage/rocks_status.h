// Converts rocksdb::Status into tenantkv Status: the one place that does.
#pragma once

#include <rocksdb/status.h>

#include <string_view>

#include "crypto/status.h"

namespace tenantkv::engine {

Status FromRocks(const rocksdb::Status& s, std::string_view what);

}  // namespace tenantkv::engine
