// A JSON Schema (2020-12) check of the subset docs/tenancy.schema.json uses,
// for the tests: python3-jsonschema is not installed on the build machines.
// A keyword outside the subset is reported as an error, never skipped, so a
// schema that grows past it fails the tests instead of passing unchecked.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tenantkv::testing {

// Every way `doc` breaks `schema`, one "<path>: <why>" each; empty when it
// conforms. Supported: type, properties, required, additionalProperties,
// items, enum, pattern, minLength, maxLength (bytes), minimum, maximum,
// $ref to "#/$defs/NAME"; $schema, $id, $defs, $comment, title and
// description are annotations.
std::vector<std::string> CheckJsonSchema(const nlohmann::json& schema, const nlohmann::json& doc);

}  // namespace tenantkv::testing
