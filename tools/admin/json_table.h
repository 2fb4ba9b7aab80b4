// Human tables built from JSON answers. Everything here tolerates missing
// members, unexpected types and members it does not know about, so that a
// newer server (extra fields) or an older one (fewer fields) still renders.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tools/admin/http_transport.h"
#include "tools/admin/text_table.h"

namespace tenantkv::tools {

// One value as a cell: "-" for null, a string as is ("\"\"" when empty),
// numbers and booleans as JSON, objects and arrays as compact JSON. Always
// one line, without control characters.
std::string CellText(const Json& value);

// The member at a dotted path ("usage.keys"), or nullptr when a step is
// missing or not an object.
const Json* FindPath(const Json& object, std::string_view dotted_path);

// CellText of the member at `dotted_path`, "-" when it is missing.
std::string CellAt(const Json& object, std::string_view dotted_path);

struct Column {
  std::string header;  // e.g. "CREATED_AT"
  std::string path;    // dotted path into each row, e.g. "created_at"
};

// `first`, then one column per scalar member of any row of `rows` (an array
// of objects) whose name is not the first segment of a `first` path, in order
// of first appearance; its header is the upper-cased name.
std::vector<Column> ColumnsWithExtras(const Json& rows, std::vector<Column> first);

// One line per element of `rows` (an array; anything else gives no rows).
TextTable RowsTable(const Json& rows, const std::vector<Column>& columns);

// A "FIELD VALUE" table of `object`: the members named in `first` that exist,
// then the others in the server's order. Nested objects are flattened as
// "outer.inner"; top-level arrays of objects are left to ArraySections(),
// nested ones are shown as compact JSON. A value that
// is not an object gives one row named "value".
TextTable FieldTable(const Json& object, const std::vector<std::string>& first);

// For each member of `object` that is a non-empty array of objects, a section
// titled with the member's name holding a table of its elements.
std::string ArraySections(const Json& object);

}  // namespace tenantkv::tools
