// Names of the system column family records that track data-key versions
// (besides the wrapped keys under dkey/<id>/, see tenant_registry.h):
//
//   kstat/<id>/values/<version, 8 hex>  merged (values, bytes) counters: the
//                                       values physically stored under that
//                                       version, changed in the data's batch
//   kstat/<id>/seals/<version, 8 hex>   decimal: seals reserved for that
//                                       version (seal_counter.h)
//   kstat/<id>/reencrypt                JSON re-encryption cursor
//                                       (key_lifecycle.h)
//
// All of them go with the tenant (the registry drops kstat/<id>/).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace tenantkv::engine {

inline std::string KeyStatsPrefix(const std::string& id) { return "kstat/" + id + "/"; }
inline std::string KeyVersionHex(uint32_t version) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", version);
  return buf;
}
inline std::string ValuesCountKey(const std::string& id, uint32_t version) {
  return KeyStatsPrefix(id) + "values/" + KeyVersionHex(version);
}
inline std::string SealsKey(const std::string& id, uint32_t version) {
  return KeyStatsPrefix(id) + "seals/" + KeyVersionHex(version);
}
inline std::string ReencryptCursorKey(const std::string& id) { return KeyStatsPrefix(id) + "reencrypt"; }

}  // namespace tenantkv::engine
