#include "tools/admin/json_table.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "tools/admin/terminal_text.h"

namespace tenantkv::tools {
namespace {

bool IsScalar(const Json& value) { return !value.is_object() && !value.is_array(); }

bool IsArrayOfObjects(const Json& value) {
  return value.is_array() && !value.empty() &&
         std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_object(); });
}

std::string Upper(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view FirstSegment(std::string_view path) { return path.substr(0, path.find('.')); }

bool Covered(const std::vector<Column>& columns, std::string_view name) {
  return std::any_of(columns.begin(), columns.end(),
                     [name](const Column& c) { return FirstSegment(c.path) == name; });
}

void AddFieldRows(TextTable& table, const std::string& name, const Json& value) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [key, member] : value.items()) AddFieldRows(table, name + "." + key, member);
  } else {
    table.AddRow({OneLine(name), CellText(value)});
  }
}

}  // namespace

std::string CellText(const Json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return text.empty() ? "\"\"" : OneLine(text);
  }
  return OneLine(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

const Json* FindPath(const Json& object, std::string_view dotted_path) {
  const Json* current = &object;
  while (true) {
    const std::size_t dot = dotted_path.find('.');
    if (!current->is_object()) return nullptr;
    const auto it = current->find(std::string(dotted_path.substr(0, dot)));
    if (it == current->end()) return nullptr;
    current = &*it;
    if (dot == std::string_view::npos) return current;
    dotted_path.remove_prefix(dot + 1);
  }
}

std::string CellAt(const Json& object, std::string_view dotted_path) {
  const Json* value = FindPath(object, dotted_path);
  return value == nullptr ? "-" : CellText(*value);
}

std::vector<Column> ColumnsWithExtras(const Json& rows, std::vector<Column> first) {
  if (!rows.is_array()) return first;
  for (const Json& row : rows) {
    if (!row.is_object()) continue;
    for (const auto& [name, value] : row.items()) {
      if (IsScalar(value) && !Covered(first, name)) first.push_back({Upper(name), name});
    }
  }
  return first;
}

TextTable RowsTable(const Json& rows, const std::vector<Column>& columns) {
  std::vector<std::string> header;
  header.reserve(columns.size());
  for (const Column& column : columns) header.push_back(OneLine(column.header));
  TextTable table(std::move(header));
  if (!rows.is_array()) return table;
  for (const Json& row : rows) {
    std::vector<std::string> cells;
    cells.reserve(columns.size());
    for (const Column& column : columns) cells.push_back(CellAt(row, column.path));
    table.AddRow(std::move(cells));
  }
  return table;
}

TextTable FieldTable(const Json& object, const std::vector<std::string>& first) {
  TextTable table({"FIELD", "VALUE"});
  if (!object.is_object()) {
    table.AddRow({"value", CellText(object)});
    return table;
  }
  for (const std::string& name : first) {
    const auto it = object.find(name);
    if (it != object.end() && !IsArrayOfObjects(*it)) AddFieldRows(table, name, *it);
  }
  for (const auto& [name, value] : object.items()) {
    const bool listed = std::find(first.begin(), first.end(), name) != first.end();
    if (!listed && !IsArrayOfObjects(value)) AddFieldRows(table, name, value);
  }
  return table;
}

std::string ArraySections(const Json& object) {
  std::string out;
  if (!object.is_object()) return out;
  for (const auto& [name, value] : object.items()) {
    if (!IsArrayOfObjects(value)) continue;
    AppendSection(out, OneLine(name), RowsTable(value, ColumnsWithExtras(value, {})).Render());
  }
  return out;
}

}  // namespace tenantkv::tools
