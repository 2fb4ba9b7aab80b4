// master-key: rotate the master key online and show its versions
// (operator token).
#pragma once

#include <CLI/CLI.hpp>

#include "tools/admin/admin_command.h"

namespace tenantkv::tools {

// POST /admin/v1/master-key/rotate: "master key rotated: v1 -> v2, ..."
// (one line). A rotation can take a while on a large node: raise --timeout.
AdminCommand MasterKeyRotate();

// GET /admin/v1/master-key: the provider, each version with its state and
// wrapped-key count, and the last rotation.
AdminCommand MasterKeyStatus();

void AddMasterKeyCommands(CLI::App& app, CommandSlot& slot);

}  // namespace tenantkv::tools
