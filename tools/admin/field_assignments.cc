#include "tools/admin/field_assignments.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string_view>

#include "tools/admin/cli_errors.h"

namespace tenantkv::tools {
namespace {

bool IsFieldName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// std::from_chars accepts exactly an optional '-' and decimal digits.
bool ParseInteger(std::string_view text, std::int64_t& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  return !text.empty() && error == std::errc() && ptr == end;
}

Status Malformed(const std::string& assignment, const std::string& why) {
  return UsageError("'" + assignment + "': " + why + " (expected FIELD=VALUE, e.g. weight=2)");
}

}  // namespace

Result<Json> ParseFieldAssignments(const std::vector<std::string>& assignments) {
  if (assignments.empty()) return UsageError("no FIELD=VALUE given");
  Json fields = Json::object();
  for (const std::string& assignment : assignments) {
    const std::size_t eq = assignment.find('=');
    if (eq == std::string::npos) return Malformed(assignment, "no '='");
    const std::string field = assignment.substr(0, eq);
    if (!IsFieldName(field)) return Malformed(assignment, "FIELD must match [a-z0-9_]+");
    std::int64_t value = 0;
    if (!ParseInteger(std::string_view(assignment).substr(eq + 1), value)) {
      return Malformed(assignment, "VALUE must be an integer");
    }
    if (fields.contains(field)) return UsageError("'" + field + "' is given more than once");
    fields[field] = value;
  }
  return fields;
}

}  // namespace tenantkv::tools
