// The rules of a tenant's directory entry (tenant_directory.h), shared by
// its JSON form (directory_entry.cc) and the directory's writes.
#pragma once

#include <string>
#include <string_view>

#include "crypto/status.h"
#include "server/cluster/tenant_directory.h"

namespace tenantkv::server::cluster::directory {

// A tenant id, and a node id (--node-id follows the same rule): 1 to 63 of
// a-z, 0-9 and '-', starting with a letter or digit.
bool ValidTenantId(std::string_view id);
// InvalidArgument("not a directory entry: " + why, "bad_directory_entry").
Status BadEntry(const std::string& why);
// The rules of an entry, as written and as read.
Status CheckEntry(const DirectoryEntry& e);

}  // namespace tenantkv::server::cluster::directory
