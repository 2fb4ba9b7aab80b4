// Human views of quota manifests: GET/PUT .../quota, .../quota/revert and
// .../quota/history.
#pragma once

#include <string>

#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// {"field":[old,new],...} as one cell: "requests_per_sec 500→100, weight 2→4";
// "-" when empty or not an object. A change that is not a pair of values
// shows its JSON after the name.
std::string ChangesText(const Json& changes);

// One manifest ({"version","quota":{..},"updated_by","updated_at"
// [,"changes":{..}]}): a FIELD/VALUE table of its scalars (version,
// updated_by, updated_at first), a "quota" FIELD/VALUE section and, when
// present, a "changes" section with FIELD/OLD/NEW.
std::string RenderQuotaManifest(const Json& manifest);

// {"versions":[manifest...]}: one line per version with VERSION,
// UPDATED_AT, UPDATED_BY and CHANGES (ChangesText).
std::string RenderQuotaHistory(const Json& body);

}  // namespace tenantkv::tools
