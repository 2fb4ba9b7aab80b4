#include "server/console/console_assets.h"

namespace tenantkv::server {

const ConsoleAsset* FindConsoleAsset(std::string_view name) {
  if (name.empty()) name = "index.html";
  for (const ConsoleAsset* a = ConsoleAssetTable(); a->name != nullptr; ++a) {
    if (name == a->name) return a;
  }
  return nullptr;
}

}  // namespace tenantkv::server
