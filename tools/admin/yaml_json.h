// YAML to JSON and back, for the tenancy files of apply and export-config:
// a YAML file is turned into JSON once, and everything after that reads
// JSON, so a YAML file and a JSON file of the same content mean the same.
#pragma once

#include <string>

#include "crypto/status.h"
#include "tools/admin/http_transport.h"

namespace tenantkv::tools {

// The one YAML document in `text` as JSON. A plain scalar is read as YAML
// 1.2's core schema reads it: null (~, null, empty), a boolean (true,
// false), an integer (decimal, fits in 64 bits), a floating-point number,
// else a string; a quoted scalar is always a string. Errors
// (InvalidArgument): not YAML (the message has the line and column), more
// than one document, a mapping key that is not a scalar, or the same key
// twice in a mapping (named by its path, e.g. "tenants[2].quota: key
// 'weight' given twice").
Result<Json> YamlToJson(const std::string& text);

// `value` as a YAML block document ending in '\n': mappings in their order,
// a string quoted when read plain it would be something else ("true",
// "007", "") or could not be read back.
std::string JsonToYaml(const Json& value);

}  // namespace tenantkv::tools
