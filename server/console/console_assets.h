// The web console's static assets, embedded in tenantkv-server at build
// time from server/console/src (bundled with npm; see CMakeLists.txt). A
// server built without node and npm has none, and /console/ says so.
#pragma once

#include <cstddef>
#include <string_view>

namespace tenantkv::server {

struct ConsoleAsset {
  const char* name;          // file name, e.g. "console.js"
  const char* content_type;  // e.g. "text/javascript; charset=utf-8"
  const unsigned char* data;
  size_t size;
};

// The asset called `name` ("" = index.html), or nullptr.
const ConsoleAsset* FindConsoleAsset(std::string_view name);
// Whether the console was built into this binary.
bool ConsoleBuilt();

// Generated (embed.cmake): the assets, ending with a null name.
const ConsoleAsset* ConsoleAssetTable();

}  // namespace tenantkv::server
